"""The arena's questions: the eval questions format (JSONL, a JSON array, or a `.csv`/`.tsv` table) with
`answers` optional (with them, the reference judge can vote), a plain text file of one question per
line, or a chat file whose last assistant turn is the reference. Without a file: the questions on the
sample lab notes shipped with labtune.
"""

from __future__ import annotations

from pathlib import Path

from labtune.data.conversation import Message
from labtune.errors import DataError, LabtuneError
from labtune.eval.questions import Question, load_questions, question_from_dict, read_question_records
from labtune.textfile import read_text


def _question(record, path: Path, index: int) -> Question:
    if not isinstance(record, dict):
        raise DataError("must be a JSON object with a 'question'", str(path), index)
    if "answers" in record or "answer" in record:
        return question_from_dict(record, str(path), index)  # the eval format, checked as eval checks it
    text = record.get("question")
    if not isinstance(text, str) or not text.strip():
        raise DataError("missing or empty 'question' string", str(path), index, field="question")
    return Question([Message("user", text)], [], record.get("kind"), index)


def load_arena_questions(path: str | Path | None) -> list[Question]:
    if path is None:
        from labtune.samples import LABNOTES_QUESTIONS

        return load_questions(LABNOTES_QUESTIONS)
    path = Path(path)
    if not path.is_file():
        raise LabtuneError(f"{path}: questions file not found")
    if path.suffix == ".txt":
        lines = [line.strip() for line in read_text(path).splitlines()]
        questions = [Question([Message("user", line)], [], None, i) for i, line in enumerate(lines) if line]
    else:
        records = read_question_records(path)
        first = records[0] if records else None
        if isinstance(first, dict) and "question" not in first and ("conversations" in first or "messages" in first):
            questions = load_questions(path)
        else:
            questions = [_question(r, path, i) for i, r in enumerate(records)]
    if not questions:
        raise LabtuneError(f"{path}: no questions")
    return questions
