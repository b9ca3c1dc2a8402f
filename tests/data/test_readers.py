"""Readers: every supported format becomes the same Conversation, with its origin."""

from __future__ import annotations

import json

import pytest

from labtune.data.readers import read_file
from labtune.data.templates import get_template
from labtune.errors import LabtuneError
from testpaths import SHARED_DATA

CHAT = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]


def write(path, records, jsonl=False):
    path.write_text("\n".join(json.dumps(r) for r in records) if jsonl else json.dumps(records, indent=2))
    return path


@pytest.mark.parametrize("jsonl", [False, True])
def test_sharegpt_roles_map_to_user_and_assistant(tmp_path, jsonl):
    rec = {"id": "c1", "conversations": [{"from": "system", "value": "Be brief."}, {"from": "human", "value": "Hi"},
                                         {"from": "gpt", "value": "Hello!"}]}
    result = read_file(write(tmp_path / "d.json", [rec], jsonl))
    conv = result.conversations[0]
    assert result.format == "sharegpt"
    assert [(m.role, m.content) for m in conv.messages] == [("system", "Be brief."), ("user", "Hi"),
                                                            ("assistant", "Hello!")]
    assert (conv.id, conv.index, conv.source) == ("c1", 0, str(tmp_path / "d.json"))


def test_sharegpt_with_messages_key_and_openai_roles(tmp_path):
    rec = {"messages": [{"from": "user", "value": "Hi"}, {"from": "assistant", "value": "Yo"}]}
    result = read_file(write(tmp_path / "d.json", [rec]))
    assert result.format == "sharegpt"
    assert [m.role for m in result.conversations[0].messages] == ["user", "assistant"]


def test_openai_jsonl_reads_every_line_with_its_index(tmp_path):
    path = write(tmp_path / "d.jsonl", [{"messages": CHAT}, {"messages": CHAT[:1] + [{"role": "assistant",
                                                                                  "content": "Other"}]}], True)
    result = read_file(path)
    assert result.format == "openai"
    assert [c.index for c in result.conversations] == [0, 1]
    assert result.conversations[1].messages[1].content == "Other"


def test_alpaca_input_is_appended_and_kept_apart(tmp_path):
    recs = [{"instruction": "Add", "input": "1 2", "output": "3"}, {"instruction": "Greet", "input": "", "output": "Hi"}]
    result = read_file(write(tmp_path / "a.json", recs))
    with_input, without = result.conversations
    assert result.format == "alpaca"
    assert with_input.messages[0].content == "Add\n\n1 2"
    assert with_input.meta["alpaca"] == {"instruction": "Add", "input": "1 2"}
    assert without.messages[0].content == "Greet" and without.messages[1].content == "Hi"


def test_alpaca_history_pairs_are_the_turns_before_and_the_alpaca_prompt_keeps_the_last_turns_input(tmp_path):
    record = {"instruction": "Translate", "input": "cat", "output": "chat", "system": "You translate.",
              "history": [["Hi", "Hello!"], ["Which languages?", "French."]]}
    (conv,) = read_file(write(tmp_path / "a.json", [record])).conversations
    assert [(m.role, m.content) for m in conv.messages] == [
        ("system", "You translate."), ("user", "Hi"), ("assistant", "Hello!"), ("user", "Which languages?"),
        ("assistant", "French."), ("user", "Translate\n\ncat"), ("assistant", "chat")]
    text = "".join(s.text for s in get_template("alpaca").segments(conv))
    assert text.count("### Instruction:\n") == 3 and text.count("### Input:\ncat") == 1
    assert text.index("### Instruction:\nHi\n") < text.index("### Instruction:\nTranslate\n\n### Input:\ncat")


def test_alpaca_history_of_the_wrong_shape_is_named_by_pair_and_place(tmp_path):
    base = {"instruction": "q", "output": "a"}
    records = [{**base, "history": "Hi"}, {**base, "history": [["Hi"]]}, {**base, "history": [["Hi", 3]]},
               {**base, "history": [["Hi", "Hello"], [" ", "x"]]}, {**base, "history": []}]
    result = read_file(write(tmp_path / "a.json", records), skip_invalid=True)
    assert [(p.record, p.field, p.reason) for p in result.problems] == [
        (0, "history", "wrong type: expected a list of [instruction, answer] pairs, got a string"),
        (1, "history[0]", "wrong type: expected an [instruction, answer] pair, got an array of 1"),
        (2, "history[0][1]", "wrong type: expected a string, got a number"),
        (3, "history[1][0]", "empty content")]
    assert len(result.conversations) == 1 and "turn" not in result.conversations[0].meta["alpaca"]


def test_prompt_completion_records_as_strings_and_as_messages(tmp_path):
    records = [{"prompt": "Capital of France?", "completion": "Paris."},
               {"id": 7, "prompt": [{"role": "system", "content": "Be brief."}, *CHAT[:1]], "completion": CHAT[1:]}]
    result = read_file(write(tmp_path / "d.jsonl", records, jsonl=True))
    assert result.format == "completion"
    assert [[(m.role, m.content) for m in c.messages] for c in result.conversations] == [
        [("user", "Capital of France?"), ("assistant", "Paris.")],
        [("system", "Be brief."), ("user", "Hi"), ("assistant", "Hello!")]]
    assert result.conversations[1].id == "7"


def test_prompt_completion_problems_name_the_list_and_position_written(tmp_path):
    records = [{"prompt": CHAT[:1], "completion": [{"role": "user", "content": "again"}]},
               {"prompt": "x", "completion": 3}, {"prompt": "x", "completion": CHAT[1:]},
               {"prompt": CHAT[:1], "completion": [{"role": "assistant", "content": ""}]}]
    result = read_file(write(tmp_path / "d.jsonl", records, jsonl=True), skip_invalid=True)
    assert [(p.record, p.field, p.reason) for p in result.problems] == [
        (0, "completion[0]", "roles do not alternate: user after user"),
        (1, "completion", "wrong type: expected a string or an array of messages, got a number"),
        (2, "completion", "wrong type: prompt and completion must both be strings or both arrays of messages"),
        (3, "completion[0].content", "empty content")]


def test_format_override_checks_records_against_that_format(tmp_path):
    path = write(tmp_path / "a.json", [{"instruction": "Add", "input": "", "output": "3"}])
    with pytest.raises(LabtuneError, match=r"record 0, field conversations: missing"):
        read_file(path, format="sharegpt")


def test_skip_invalid_keeps_good_records_and_lists_every_bad_one(tmp_path):
    recs = [{"messages": CHAT}, {"messages": [{"role": "robot", "content": "x"}]}, {"messages": CHAT},
            {"messages": [{"role": "user", "content": "Hi"}]}]
    result = read_file(write(tmp_path / "d.jsonl", recs, True), skip_invalid=True)
    assert [c.index for c in result.conversations] == [0, 2]
    assert [(p.record, p.field) for p in result.problems] == [(1, "messages[0].role"), (3, "messages")]


def test_without_skip_invalid_the_error_summarizes_all_problems(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text(json.dumps({"messages": CHAT}) + "\n{bad\n" + json.dumps({"messages": []}) + "\n")
    with pytest.raises(LabtuneError) as info:
        read_file(path)
    text = str(info.value)
    assert text.startswith("2 invalid records")
    assert "(1 invalid JSON; 1 empty conversation)" in text
    assert "record 1: invalid JSON at line 2 column 2" in text
    assert "record 2, field messages: empty conversation" in text


@pytest.mark.parametrize("name,fmt,count", [("dummy_conversation.json", "sharegpt", 500),
                                            ("alpaca_5000.json", "alpaca", 5000)])
def test_shared_peer_files_load_completely(name, fmt, count):
    path = SHARED_DATA / name
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    result = read_file(path)
    assert (result.format, result.records, len(result.conversations), result.problems) == (fmt, count, count, [])
    assert all(c.messages[-1].role == "assistant" for c in result.conversations)


def test_jsonl_with_a_broken_first_line_still_reads_the_other_lines(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text('{"messages": [\n' + json.dumps({"messages": CHAT}) + "\n")
    result = read_file(path, skip_invalid=True)
    assert [c.index for c in result.conversations] == [1]
    assert [str(p) for p in result.problems] == [f"{path}: record 0: invalid JSON at line 1 column 15: Expecting value"]


def test_a_file_that_cannot_be_read_is_one_error_naming_it(tmp_path, monkeypatch):
    path = tmp_path / "chat.jsonl"
    path.write_text('{"messages": []}\n')

    def refuse(self):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(type(path), "read_bytes", refuse)
    with pytest.raises(LabtuneError, match=r"chat\.jsonl: cannot be read \(Permission denied\)$"):
        read_file(path)
