"""Read an evaluation questions file and general chat sets.

Questions: JSONL of `{"question": str, "answers": [str, ...], "kind"?: str}` (a single `"answer"`
string is accepted too), a spreadsheet's CSV/TSV export with the same columns (acceptable answers
separated by `|`), or a ShareGPT / OpenAI-messages file whose last assistant turn is the reference and
everything before it the prompt.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

from labtune.data.conversation import Conversation, Message
from labtune.data.readers import read_file
from labtune.errors import DataError, LabtuneError
from labtune.textfile import read_text


@dataclass
class Question:
    prompt: list[Message]  # what the model sees: the question, or a whole conversation before the answer
    answers: list[str]
    kind: str | None = None
    index: int = 0
    meta: dict = field(default_factory=dict)

    @property
    def text(self) -> str:
        return next((m.content for m in reversed(self.prompt) if m.role == "user"), "")


# In a CSV/TSV questions file: the cell of acceptable answers ("Hana Kowalczyk | Kowalczyk").
ANSWER_SEPARATOR = "|"


def _table_records(text: str, path: Path) -> list[dict]:
    """Rows of a spreadsheet's CSV or TSV export as records: headers matched without case, `answers` (or
    `answer`) split at `ANSWER_SEPARATOR`, empty cells left out, blank rows skipped."""
    # A cell may hold a line break (a spreadsheet writes it quoted): the reader gets the text with its newlines.
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter="\t" if path.suffix.lower() == ".tsv" else ",",
                               strict=True))
    except csv.Error as exc:  # a quote left open: the rest of the file would be one cell
        raise DataError(f"not a readable table ({exc})", str(path)) from None
    header = [h.strip().lower() for h in rows[0]] if rows else []
    if "question" not in header:
        raise DataError(f"the first row must name the columns, one of them 'question' (found {header})", str(path),
                        field="question")
    records = []
    for row in rows[1:]:
        record = {key: cell.strip() for key, cell in zip(header, row) if key and cell.strip()}
        if not record:
            continue
        for key in ("answers", "answer"):
            if key in record:
                record["answers"] = [a.strip() for a in record.pop(key).split(ANSWER_SEPARATOR) if a.strip()]
        records.append(record)
    return records


def read_question_records(path: Path) -> list:
    """A JSON array, JSONL (one object per line; blank lines skipped), or a CSV/TSV table."""
    if not path.is_file():
        raise LabtuneError(f"{path}: file not found")
    text = read_text(path)
    if path.suffix.lower() in (".csv", ".tsv"):
        return _table_records(text, path)
    if text.lstrip().startswith("["):
        try:
            records = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DataError(f"invalid JSON at line {exc.lineno} column {exc.colno}", str(path)) from None
        return records
    records = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise DataError(f"line {number}: invalid JSON ({exc.msg})", str(path)) from None
    return records


def read_conversations(path: str | Path) -> list[Conversation]:
    """A chat file in any format `labtune.data.readers` reads, or every .json/.jsonl file in a folder."""
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix in (".json", ".jsonl"))
        if not files:
            raise LabtuneError(f"{path}: no .json or .jsonl files")
        return [conv for file in files for conv in read_conversations(file)]
    if not path.is_file():
        raise LabtuneError(f"{path}: file not found")
    return read_file(path).conversations


def _question_record(record: dict, path: Path, index: int) -> Question:
    question = record.get("question")
    if not isinstance(question, str) or not question.strip():
        raise DataError("missing or empty 'question' string", str(path), index, field="question")
    answers = record.get("answers", record.get("answer"))
    if isinstance(answers, str):
        answers = [answers]
    if not isinstance(answers, list) or not answers or not all(isinstance(a, str) and a.strip() for a in answers):
        raise DataError("'answers' must be a non-empty list of non-empty strings", str(path), index, field="answers")
    kind = record.get("kind")
    if kind is not None and not isinstance(kind, str):
        raise DataError("'kind' must be a string", str(path), index, field="kind")
    meta = {k: v for k, v in record.items() if k not in ("question", "answers", "answer", "kind")}
    return Question([Message("user", question)], answers, kind, index, meta)


def question_from_dict(record: dict, source: str = "<questions>", index: int = 0) -> Question:
    """One `{"question", "answers", "kind"?}` record, checked as in a questions file."""
    return _question_record(record, Path(source), index)


def _question_from_conversation(conv: Conversation, path: Path) -> Question:
    last = max((i for i, m in enumerate(conv.messages) if m.role == "assistant"), default=None)
    if last is None or not any(m.role == "user" for m in conv.messages[:last]):
        raise DataError("needs a user turn followed by an assistant turn (the reference answer)",
                        str(path), conv.index, conv.id)
    return Question(conv.messages[:last], [conv.messages[last].content], None, conv.index or 0)


def load_questions(path: str | Path) -> list[Question]:
    """Questions with acceptable answers; every error names the file, record and field."""
    path = Path(path)
    records = read_question_records(path)
    if not records:
        raise DataError("no questions", str(path))
    first = records[0]
    if isinstance(first, dict) and "question" not in first and ("conversations" in first or "messages" in first):
        return [_question_from_conversation(conv, path) for conv in read_file(path).conversations]
    questions = []
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            raise DataError("must be a JSON object", str(path), index)
        if "question" not in record:
            raise DataError("missing 'question' (expected {\"question\", \"answers\": [...], \"kind\"?})",
                            str(path), index, field="question")
        questions.append(_question_record(record, path, index))
    return questions
