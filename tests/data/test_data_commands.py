"""`labtune data check | convert | render` end to end through the CLI entry point."""

from __future__ import annotations

import json

from test_data_cli import gpt, human, run_cli, sharegpt

from labtune.data.check import highlighted
from labtune.data.conversation import Conversation, Message
from labtune.data.readers import read_file
from labtune.data.templates import get_template

J = json.dumps
LONG = "word " * 60  # ~60 tokens


def check_file(tmp_path):
    path = tmp_path / "mix.json"
    path.write_text(J([
        sharegpt(human("Hi"), gpt("Hello!"), id="short"),
        sharegpt(human("Tell me"), gpt(LONG), id="long-answer"),
        sharegpt(human(LONG), gpt("ok"), id="long-prompt"),
        sharegpt(human("Hi"), gpt("Hello!"), id="copy"),
        sharegpt(human("Hi"), id="bad"),
    ]))
    return path


def test_check_json_counts_truncation_masking_duplicates_and_invalid(tmp_path, capsys, monkeypatch, tokenizer):
    path = check_file(tmp_path)
    code, out, err = run_cli(["data", "check", str(path), "--template", "vicuna_v1.1", "--model_max_length", "40",
                              "--skip-invalid", "--json"], capsys, monkeypatch)
    assert code == 0, err
    report = json.loads(out)
    stats = report["files"][0]
    template = get_template("vicuna_v1.1", tokenizer)
    convs = read_file(path, skip_invalid=True).conversations
    from labtune.data.tokenize import encode
    full = [encode(c, template, tokenizer) for c in convs]
    assert (stats["format"], stats["records"], stats["valid"], stats["invalid"], stats["duplicates"]) == \
        ("sharegpt", 5, 4, 1, 1)
    assert stats["turns"] == 8
    assert stats["tokens"] == sum(min(len(e.input_ids), 40) for e in full)
    assert stats["trainable_tokens"] == sum(sum(1 for x in e.labels[:40] if x != -100) for e in full)
    assert (stats["truncated"], stats["fully_masked"]) == (2, 1)
    assert stats["lengths"]["max"] == max(len(e.input_ids) for e in full) > 40
    assert stats["problems"] == [f"{path}: record 4 (id=bad), field conversations: no assistant turn (nothing to "
                                 "train on)"]
    assert report["total"]["records"] == 5 and report["template"] == "vicuna_v1.1"
    assert [s["text"] for s in report["example"]["segments"] if s["trainable"]] == [" Hello!" + tokenizer.eos_token]


def test_check_totals_over_several_files_and_refuses_invalid_without_skip(tmp_path, capsys, monkeypatch):
    a = check_file(tmp_path)
    b = tmp_path / "b.jsonl"
    b.write_text(J({"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Yo"}]}) + "\n")
    code, out, err = run_cli(["data", "check", str(a), str(b), "--template", "alpaca", "--model_max_length", "40"],
                             capsys, monkeypatch)
    assert code == 2
    assert "1 invalid record (listed in the report); fix them or pass --skip-invalid" in err
    for text in ("mix.json", "b.jsonl", "total", "fully masked", "record 4 (id=bad)", "example:", "### Response:"):
        assert text in out
    code, out, _ = run_cli(["data", "check", str(a), str(b), "--template", "alpaca", "--json", "--skip-invalid"],
                           capsys, monkeypatch)
    report = json.loads(out)
    assert report["total"]["records"] == 6 and report["total"]["valid"] == 5
    assert report["total"]["trainable_tokens"] == sum(f["trainable_tokens"] for f in report["files"])
    assert [f["format"] for f in report["files"]] == ["sharegpt", "openai"]


def test_highlighted_example_marks_exactly_the_trainable_spans():
    conv = Conversation([Message("user", "Hi"), Message("assistant", "Yo")])
    text = highlighted(conv, get_template("vicuna_v1.1"))
    marked = [text.plain[span.start:span.end] for span in text.spans if "green" in str(span.style)]
    assert marked == [" Yo</s>"]


def test_render_json_is_the_exact_training_text_in_record_order(tmp_path, capsys, monkeypatch):
    path = tmp_path / "a.json"
    path.write_text(J([{"instruction": "Add", "input": "1 2", "output": "3"}, {"instruction": "Hi", "output": "Yo"}]))
    code, out, _ = run_cli(["data", "render", str(path), "--template", "alpaca", "--json"], capsys, monkeypatch)
    assert code == 0
    rendered = json.loads(out)
    assert [r["index"] for r in rendered] == [0, 1]
    assert rendered[0]["text"].endswith("### Instruction:\nAdd\n\n### Input:\n1 2\n\n### Response:3</s>")
    assert rendered[1]["text"].endswith("### Instruction:\nHi\n\n### Response:Yo</s>")
    assert rendered[1]["trainable"] == ["Yo</s>"]


def test_render_with_a_model_writes_its_eos(tmp_path, capsys, monkeypatch, tokenizer):
    path = tmp_path / "d.json"
    path.write_text(J([sharegpt(human("Hi"), gpt("Yo"))]))
    code, out, _ = run_cli(["data", "render", str(path), "--template", "vicuna_v1.1", "--model", "smollm2-135m"],
                           capsys, monkeypatch)
    assert code == 0
    assert out.splitlines()[0] == "----- record 0 -----"
    assert out.rstrip("\n").endswith("USER: Hi ASSISTANT: Yo" + tokenizer.eos_token)
    code, _, err = run_cli(["data", "render", str(path)], capsys, monkeypatch)
    assert code == 2 and "needs a model" in err


def test_convert_round_trips_and_keeps_the_alpaca_input_split(tmp_path, capsys, monkeypatch):
    src = tmp_path / "a.json"
    records = [{"instruction": "Add", "input": "1 2", "output": "3"}, {"instruction": "Hi", "input": "", "output": "Yo"}]
    src.write_text(J(records))
    sg, oa, back = tmp_path / "sg.json", tmp_path / "oa.jsonl", tmp_path / "back.json"
    assert run_cli(["data", "convert", str(src), "-o", str(sg), "--to", "sharegpt"], capsys, monkeypatch)[0] == 0
    assert json.loads(sg.read_text())[0] == {"conversations": [{"from": "human", "value": "Add\n\n1 2"},
                                                               {"from": "gpt", "value": "3"}]}
    assert run_cli(["data", "convert", str(sg), "-o", str(oa), "--to", "openai"], capsys, monkeypatch)[0] == 0
    assert [json.loads(line)["messages"][1]["content"] for line in oa.read_text().splitlines()] == ["3", "Yo"]
    assert run_cli(["data", "convert", str(src), "-o", str(back), "--to", "alpaca"], capsys, monkeypatch)[0] == 0
    assert json.loads(back.read_text()) == records
    assert [c.key() for c in read_file(oa).conversations] == [c.key() for c in read_file(src).conversations]


def test_convert_to_prompt_completion_and_back(tmp_path, capsys, monkeypatch):
    src = tmp_path / "d.json"
    src.write_text(J([sharegpt(human("a"), gpt("b")), sharegpt(human("a"), gpt("b"), human("c"), gpt("d"))]))
    out = tmp_path / "pc.jsonl"
    assert run_cli(["data", "convert", str(src), "-o", str(out), "--to", "completion"], capsys, monkeypatch)[0] == 0
    assert [json.loads(line) for line in out.read_text().splitlines()] == [
        {"prompt": "a", "completion": "b"},
        {"prompt": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"},
                    {"role": "user", "content": "c"}], "completion": [{"role": "assistant", "content": "d"}]}]
    assert [c.key() for c in read_file(out).conversations] == [c.key() for c in read_file(src).conversations]


def test_convert_to_alpaca_writes_earlier_turns_as_history_and_reads_back_the_same(tmp_path, capsys, monkeypatch):
    src = tmp_path / "d.json"
    src.write_text(J([{"conversations": [{"from": "system", "value": "Be brief."}, human("a"), gpt("b"), human("c"),
                                         gpt("d")]}, sharegpt(human("e"), gpt("f"))]))
    out = tmp_path / "out.json"
    assert run_cli(["data", "convert", str(src), "-o", str(out), "--to", "alpaca"], capsys, monkeypatch)[0] == 0
    assert json.loads(out.read_text()) == [
        {"instruction": "c", "input": "", "output": "d", "system": "Be brief.", "history": [["a", "b"]]},
        {"instruction": "e", "input": "", "output": "f"}]
    assert [c.key() for c in read_file(out).conversations] == [c.key() for c in read_file(src).conversations]


def test_convert_to_alpaca_refuses_a_chat_that_ends_unanswered_and_leaves_the_old_output(tmp_path, capsys, monkeypatch):
    src = tmp_path / "d.json"
    src.write_text(J([sharegpt(human("a"), gpt("b")), sharegpt(human("a"), gpt("b"), human("c"), id="x")]))
    out = tmp_path / "out.json"
    out.write_text("previous")
    code, _, err = run_cli(["data", "convert", str(src), "-o", str(out), "--to", "alpaca"], capsys, monkeypatch)
    assert code == 2
    assert "record 1 (id=x), field messages: cannot be written as Alpaca" in err
    assert out.read_text() == "previous" and sorted(p.name for p in tmp_path.iterdir()) == ["d.json", "out.json"]
    code, _, err = run_cli(["data", "convert", str(src), "-o", str(out), "--to", "alpaca", "--skip-invalid"],
                           capsys, monkeypatch)
    assert code == 0 and "skipped 1 invalid record" in err and "wrote 1 records" in err
    assert json.loads(out.read_text()) == [{"instruction": "a", "input": "", "output": "b"}]


def test_an_error_line_shows_square_brackets_as_written(tmp_path, capsys, monkeypatch):
    src = tmp_path / "notes [draft].json"  # a file name and a problem both with brackets, as users write them
    src.write_text(J([{"instruction": "q", "output": "a", "history": [["hi"]]}]))
    code, _, err = run_cli(["data", "convert", str(src), "-o", str(tmp_path / "o.json"), "--to", "openai"],
                           capsys, monkeypatch)
    assert code == 2 and "Traceback" not in err
    assert "notes [draft].json: record 0, field history[0]: wrong type: expected an [instruction, answer] pair" \
        in " ".join(err.split())


def test_a_sharegpt_record_opening_with_the_bots_turn_trains_the_rest_as_fastchat_does(tmp_path, capsys, monkeypatch):
    # FastChat's train.py: "Skip the first one if it is not from human" (source = source[1:])
    path = tmp_path / "d.json"
    path.write_text(J([sharegpt(gpt("Hello! How can I help?"), human("Hi"), gpt("Yo"), id="greeting"),
                       sharegpt(human("Hi"), gpt("Yo"), id="plain")]))
    code, out, _ = run_cli(["data", "render", str(path), "--template", "vicuna_v1.1", "--json"], capsys, monkeypatch)
    assert code == 0
    greeting, plain = json.loads(out)
    assert greeting["text"] == plain["text"] and "Hello! How" not in greeting["text"]
    code, out, _ = run_cli(["data", "check", str(path), "--template", "vicuna_v1.1", "--json"], capsys, monkeypatch)
    assert code == 0 and json.loads(out)["total"]["first_turn_left_out"] == 1
    code, out, _ = run_cli(["data", "check", str(path), "--template", "vicuna_v1.1"], capsys, monkeypatch)
    assert "1 ShareGPT record opens with the assistant's turn: it is left out" in out
    (conv, _) = read_file(path).conversations
    assert conv.meta["left_out"] == "conversations[0]" and [m.role for m in conv.messages] == ["user", "assistant"]
