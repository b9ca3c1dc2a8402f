import json
import subprocess
import sys
from pathlib import Path

import pytest

from labtune.errors import DataError, LabtuneError
from labtune.eval.questions import load_questions

REPO = Path(__file__).resolve().parents[2]


def test_jsonl_questions_with_kinds_and_single_answer(tmp_path):
    path = tmp_path / "q.jsonl"
    path.write_text('{"question": "Who?", "answers": ["Alice", "Al"], "kind": "presenter"}\n\n'
                    '{"question": "When?", "answer": "May 12"}\n')
    first, second = load_questions(path)
    assert (first.text, first.answers, first.kind) == ("Who?", ["Alice", "Al"], "presenter")
    assert (second.text, second.answers, second.kind) == ("When?", ["May 12"], None)


def test_questions_saved_as_utf16_load_and_latin1_ones_are_one_error(tmp_path):
    path = tmp_path / "q.jsonl"
    line = '{"question": "Who presented on 4/14/2023?", "answers": ["Zoé Kowalczyk"]}\n'
    path.write_text(line, encoding="utf-16")  # PowerShell 5's Out-File writes this
    (question,) = load_questions(path)
    assert (question.text, question.answers) == ("Who presented on 4/14/2023?", ["Zoé Kowalczyk"])
    path.write_bytes(line.encode("latin-1"))
    with pytest.raises(LabtuneError, match=r"q.jsonl: not UTF-8 text \(byte 59\)"):
        load_questions(path)


def test_a_spreadsheets_csv_and_tsv_exports_read_like_the_jsonl(tmp_path):
    csv_path, tsv_path = tmp_path / "q.csv", tmp_path / "q.tsv"
    # Excel's CSV: a byte-order mark, CRLF, a quoted cell with a comma, a blank row and an extra column
    csv_path.write_bytes("\ufeffQuestion,Answers,Kind,Note\r\n"
                         "Who presented on 4/14/2023?,Hana Kowalczyk | Kowalczyk,presenter,\r\n"
                         ",,,\r\n"
                         '"What was it about,\r\nin short?",eelgrass,,apr14.md\r\n'.encode("utf-8"))
    tsv_path.write_text("question\tanswer\nWho presented on 4/14/2023?\tHana Kowalczyk | Kowalczyk\n")
    first, second = load_questions(csv_path)
    assert (first.text, first.answers, first.kind) == ("Who presented on 4/14/2023?", ["Hana Kowalczyk", "Kowalczyk"],
                                                       "presenter")
    assert (second.text, second.answers, second.kind, second.meta) == ("What was it about,\r\nin short?", ["eelgrass"],
                                                                       None, {"note": "apr14.md"})
    (only,) = load_questions(tsv_path)
    assert only.answers == ["Hana Kowalczyk", "Kowalczyk"]


@pytest.mark.parametrize("table, record, field", [("question,answers\nWho?,\n", 0, "answers"),
                                                  ("q,answers\nWho?,Ana\n", None, "question"),
                                                  ('question,answers\n"Who?,Ana\n', None, None)])
def test_a_csv_without_answers_or_a_question_column_names_the_record_and_field(tmp_path, table, record, field):
    path = tmp_path / "q.csv"
    path.write_text(table)
    with pytest.raises(DataError) as err:
        load_questions(path)
    assert (err.value.file, err.value.record, err.value.field) == (str(path), record, field)


def test_sharegpt_reference_is_last_assistant_turn(tmp_path):
    path = tmp_path / "q.json"
    path.write_text(json.dumps([{"id": "a", "conversations": [
        {"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hello!"},
        {"from": "human", "value": "Who presented?"}, {"from": "gpt", "value": "Alice"}]}]))
    (question,) = load_questions(path)
    assert question.answers == ["Alice"]
    assert [(m.role, m.content) for m in question.prompt] == [("user", "Hi"), ("assistant", "Hello!"),
                                                             ("user", "Who presented?")]


@pytest.mark.parametrize("line, field", [('{"question": "Who?", "answers": []}', "answers"),
                                         ('{"question": "Who?", "answers": [3]}', "answers"),
                                         ('{"question": "", "answers": ["x"]}', "question"),
                                         ('{"q": "Who?", "answers": ["x"]}', "question")])
def test_malformed_record_names_file_record_and_field(tmp_path, line, field):
    path = tmp_path / "q.jsonl"
    path.write_text('{"question": "ok?", "answers": ["yes"]}\n' + line + "\n")
    with pytest.raises(DataError) as err:
        load_questions(path)
    assert (err.value.file, err.value.record, err.value.field) == (str(path), 1, field)


def test_malformed_questions_file_exits_2_with_one_line(tmp_path):
    path = tmp_path / "q.jsonl"
    path.write_text('{"question": "Who?", "answers": ["Alice"]}\n{"question": "When?" "answers": 1}\n')
    proc = subprocess.run([sys.executable, "-m", "labtune", "eval", "smollm2-135m", "--questions", str(path),
                           "--no-general", "-o", str(tmp_path / "out")],
                          capture_output=True, text=True, cwd=REPO, timeout=120)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and str(path) in lines[0] and "line 2" in lines[0] and "invalid JSON" in lines[0]
    assert not (tmp_path / "out").exists()
