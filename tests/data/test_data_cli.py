"""The real `labtune data ...` entry point: bad input gives one clear line and exit code 2, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from clirun import run_cli


def human(v):
    return {"from": "human", "value": v}


def gpt(v):
    return {"from": "gpt", "value": v}


def sharegpt(*messages, **extra):
    return {**extra, "conversations": list(messages)}


J = json.dumps
# (case id, file name, file content, extra args, expected text in the error)
MALFORMED = [
    ("invalid-json-array", "d.json", '[{"conversations": [}]', [], "d.json: invalid JSON at line 1 column 21"),
    ("invalid-json-multiline", "d.json", '[\n  {"conversations": []},\n  {"id": 1,,}\n]', [],
     "invalid JSON at line 3 column 12"),
    ("invalid-jsonl-line", "d.jsonl", J(sharegpt(human("a"), gpt("b"))) + "\n" + '{"conversations": [\n', [],
     "d.jsonl: record 1: invalid JSON at line 2 column 20"),
    ("top-level-string", "d.json", '"hello"', [], "wrong type: expected a JSON array of records or JSONL, got a string"),
    ("record-not-object", "d.json", "[1]", ["--format", "sharegpt"], "record 0: wrong type: expected an object, got a number"),
    ("messages-not-list", "d.json", J([{"conversations": "hi"}]), [],
     "record 0, field conversations: wrong type: expected an array of messages, got a string"),
    ("message-not-object", "d.json", J([sharegpt("hi")]), [],
     "record 0, field conversations[0]: wrong type: expected an object, got a string"),
    ("unknown-role", "d.json", J([sharegpt(human("a"), {"from": "bot", "value": "b"}, id="c7")]), [],
     "record 0 (id=c7), field conversations[1].from: unknown role 'bot'"),
    ("missing-value", "d.json", J([sharegpt({"from": "human"}, gpt("b"))]), [],
     "record 0, field conversations[0].value: missing"),
    ("content-wrong-type", "d.json", J([sharegpt(human(5), gpt("b"))]), [],
     "field conversations[0].value: wrong type: expected a string, got a number"),
    ("empty-content", "d.json", J([sharegpt(human("a"), gpt("  "))]), [], "field conversations[1].value: empty content"),
    ("not-alternating", "d.json", J([sharegpt(human("a"), human("b"), gpt("c"))]), [],
     "field conversations[1]: roles do not alternate: user after user"),
    ("assistant-only-after-first", "d.json", J([sharegpt(gpt("a"), human("b"))]), [],
     "field conversations: no assistant turn (nothing to train on)"),
    ("assistant-only", "d.json", J([sharegpt(gpt("a"))]), [],
     "field conversations[0]: roles do not alternate: the first turn must be from the user"),
    ("openai-assistant-first", "o.jsonl", J({"messages": [{"role": "assistant", "content": "a"},
                                                          {"role": "user", "content": "b"}]}), [],
     "field messages[0]: roles do not alternate: the first turn must be from the user"),
    ("no-assistant", "d.json", J([sharegpt(human("a"))]), [],
     "field conversations: no assistant turn (nothing to train on)"),
    ("system-not-first", "d.json", J([sharegpt(human("a"), {"from": "system", "value": "s"}, gpt("b"))]), [],
     "field conversations[1]: system message is only allowed first"),
    ("empty-conversation", "d.json", J([sharegpt()]), [], "field conversations: empty conversation"),
    ("alpaca-missing-output", "a.json", J([{"instruction": "x", "input": "", "output": "y"}, {"instruction": "x"}]),
     ["--format", "alpaca"], "a.json: record 1, field output: missing"),
    ("alpaca-wrong-type", "a.json", J([{"instruction": ["x"], "input": "", "output": "y"}]), [],
     "record 0, field instruction: wrong type: expected a string, got an array"),
    ("alpaca-empty-instruction", "a.json", J([{"instruction": " ", "input": "", "output": "y"}]), [],
     "record 0, field instruction: empty content"),
    ("openai-unknown-role", "o.jsonl", J({"messages": [{"role": "user", "content": "a"},
                                                       {"role": "tool", "content": "b"}]}), [],
     "o.jsonl: record 0, field messages[1].role: unknown role 'tool'"),
    ("openai-missing-content", "o.jsonl", J({"messages": [{"role": "user"}]}), [],
     "record 0, field messages[0].content: missing"),
    ("empty-file", "d.json", "  \n", [], "d.json: file is empty"),
    ("empty-array", "d.json", "[]", [], "d.json: no records (empty array)"),
    ("unknown-shape", "d.json", J([{"question": "a", "answer": "b"}]), [],
     "cannot detect the format: expected records with 'conversations'"),
    ("unknown-format-flag", "d.json", J([sharegpt(human("a"), gpt("b"))]), ["--format", "vicuna"],
     "unknown data format 'vicuna'"),
]


@pytest.mark.parametrize("name,content,args,expected", [case[1:] for case in MALFORMED],
                         ids=[case[0] for case in MALFORMED])
def test_malformed_input_gives_one_clear_line_and_exit_2(tmp_path, capsys, monkeypatch, name, content, args, expected):
    path = tmp_path / name
    path.write_text(content)
    code, out, err = run_cli(["data", "render", str(path), "--template", "vicuna_v1.1", *args], capsys, monkeypatch)
    assert code == 2, (out, err)
    assert expected in err
    assert "Traceback" not in err + out
    assert out == ""  # nothing rendered from a refused file


def test_missing_file_and_non_utf8_are_refused(tmp_path, capsys, monkeypatch):
    code, _, err = run_cli(["data", "render", str(tmp_path / "nope.json"), "--template", "alpaca"], capsys, monkeypatch)
    assert code == 2 and "nope.json: file not found" in err
    (tmp_path / "latin.json").write_bytes(b'[{"instruction": "caf\xe9", "output": "x"}]')
    code, _, err = run_cli(["data", "render", str(tmp_path / "latin.json"), "--template", "alpaca"], capsys, monkeypatch)
    assert code == 2 and "latin.json: not UTF-8 text (byte 21); save it as UTF-8" in err


def test_all_problems_are_summarized_not_only_the_first(tmp_path, capsys, monkeypatch):
    path = tmp_path / "d.json"
    path.write_text(J([sharegpt(human("a"), gpt("b")), sharegpt(human("a")), sharegpt(human(""), gpt("b")),
                       sharegpt(human("a"), {"from": "bot", "value": "b"})]))
    code, _, err = run_cli(["data", "convert", str(path), "-o", str(tmp_path / "o.jsonl"), "--to", "openai"],
                           capsys, monkeypatch)
    assert code == 2
    assert "3 invalid records in" in err and "--skip-invalid" in err
    assert "(1 no assistant turn; 1 empty content; 1 unknown role)" in err
    for line in ("record 1, field conversations: no assistant turn", "record 2, field conversations[0].value: "
                 "empty content", "record 3, field conversations[1].from: unknown role 'bot'"):
        assert line in err
    assert not (tmp_path / "o.jsonl").exists()


def test_skip_invalid_drops_bad_records_and_says_why(tmp_path, capsys, monkeypatch):
    path = tmp_path / "d.json"
    path.write_text(J([sharegpt(human("a"), gpt("b"), id="ok"), sharegpt(human("a"), id="bad")]))
    code, out, err = run_cli(["data", "render", str(path), "--template", "vicuna_v1.1", "--skip-invalid", "--json"],
                             capsys, monkeypatch)
    assert code == 0
    assert [r["id"] for r in json.loads(out)] == ["ok"]
    assert "skipped 1 invalid record:" in err and "record 1 (id=bad), field conversations: no assistant turn" in err


def test_installed_command_prints_no_traceback(tmp_path):
    path = tmp_path / "d.json"
    path.write_text(J([sharegpt(human("a"), {"from": "bot", "value": "b"})]))
    proc = subprocess.run([sys.executable, "-m", "labtune", "data", "render", str(path), "--template", "alpaca"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "unknown role 'bot'" in proc.stderr and "Traceback" not in proc.stderr
