"""Read ShareGPT/Vicuna, Alpaca, OpenAI-messages and prompt-completion files (JSON array or JSONL) into
Conversations: the file and its format here, each record by `labtune.data.records`.

Every problem is a `DataError` naming file, record index (0-based, as in the JSON array or among
the non-blank JSONL lines), the record's id when it has one, and the field. Readers collect all
problems instead of stopping at the first, so a user can fix a file in one pass.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from labtune.data.conversation import Conversation
from labtune.data.records import PARSERS, json_type
from labtune.errors import DataError, LabtuneError
from labtune.textfile import decode, not_text

FORMATS = ("sharegpt", "alpaca", "openai", "completion")
MAX_LISTED_PROBLEMS = 20


@dataclass
class ReadResult:
    path: str
    format: str
    records: int  # records found in the file, valid or not
    conversations: list[Conversation] = field(default_factory=list)
    problems: list[DataError] = field(default_factory=list)


def problems_error(problems: list[DataError], hint: str = "--skip-invalid drops them") -> LabtuneError:
    """One error summarizing every problem: a count per reason, then the first few lines."""
    files = sorted({p.file for p in problems if p.file})
    reasons = Counter(_reason_kind(p.reason) for p in problems)
    head = (f"{len(problems)} invalid record{'s' if len(problems) != 1 else ''}"
            f"{' in ' + ', '.join(files) if files else ''} ("
            + "; ".join(f"{n} {kind}" for kind, n in reasons.most_common()) + f"); {hint}")
    lines = [f"  {p}" for p in problems[:MAX_LISTED_PROBLEMS]]
    if len(problems) > MAX_LISTED_PROBLEMS:
        lines.append(f"  ... and {len(problems) - MAX_LISTED_PROBLEMS} more")
    return LabtuneError("\n".join([head, *lines]))


def _reason_kind(reason: str) -> str:
    """The stable first words of a reason ('unknown role', 'invalid JSON', ...) for the summary."""
    return re.split(r":| \(| at line | '", reason, maxsplit=1)[0]


def read_file(path: str | Path, format: str | None = None, skip_invalid: bool = False) -> ReadResult:
    """Read one data file. With `skip_invalid` False, a file with problems raises a summary of all."""
    path = Path(path)
    if format is not None and format not in FORMATS:
        raise LabtuneError(f"unknown data format {format!r}: use one of {', '.join(FORMATS)}")
    records, problems = _load_records(path)
    fmt = format or detect_format(path, [r for _, r in records])
    parse = PARSERS[fmt]
    result = ReadResult(str(path), fmt, len(records) + len(problems), problems=problems)
    for index, record in records:
        try:
            result.conversations.append(parse(record, str(path), index, fmt))
        except DataError as exc:
            result.problems.append(exc)
    result.problems.sort(key=lambda p: p.record if p.record is not None else -1)
    if result.problems and not skip_invalid:
        raise problems_error(result.problems)
    return result


def _load_records(path: Path) -> tuple[list[tuple[int, object]], list[DataError]]:
    """(index, record) pairs, plus one problem per unparsable JSONL line."""
    if not path.is_file():
        raise LabtuneError(f"{path}: file not found" if not path.exists() else f"{path}: not a file")
    try:
        data = path.read_bytes()
    except OSError as exc:  # no permission, a file on a dropped network share
        raise LabtuneError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    try:
        text = decode(data)
    except UnicodeDecodeError as exc:
        raise DataError(not_text(data, exc), str(path)) from None
    if not text.strip():
        raise DataError("file is empty", str(path))
    if path.suffix.lower() == ".jsonl" or _looks_like_jsonl(text):
        return _load_jsonl(path, text)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}", str(path)) from None
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise DataError(f"wrong type: expected a JSON array of records or JSONL, got {json_type(data)}", str(path))
    if not data:
        raise DataError("no records (empty array)", str(path))
    return list(enumerate(data)), []


def _looks_like_jsonl(text: str) -> bool:
    """JSONL when the first non-blank line is a complete JSON object on its own."""
    first = next(line for line in text.splitlines() if line.strip()).strip()
    if not first.startswith("{"):
        return False
    try:
        return isinstance(json.loads(first), dict)
    except json.JSONDecodeError:
        return False


def _load_jsonl(path: Path, text: str) -> tuple[list[tuple[int, object]], list[DataError]]:
    records, problems = [], []
    index = 0
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append((index, json.loads(line)))
        except json.JSONDecodeError as exc:
            problems.append(DataError(f"invalid JSON at line {lineno} column {exc.colno}: {exc.msg}",
                                      str(path), index))
        index += 1
    return records, problems


def detect_format(path: Path, records: list) -> str:
    """Decide from the keys of the records: the most common recognizable shape wins."""
    votes = Counter(shape for r in records[:200] if (shape := _shape(r)) is not None)
    if not votes:
        keys = sorted({k for r in records[:20] if isinstance(r, dict) for k in r})
        raise DataError("cannot detect the format: expected records with 'conversations' (ShareGPT), "
                        "'messages' (OpenAI), 'instruction'/'output' (Alpaca) or 'prompt'/'completion'; found keys "
                        f"{keys or 'none'}; pass --format", str(path))
    return votes.most_common(1)[0][0]


def _shape(record) -> str | None:
    if not isinstance(record, dict):
        return None
    if "conversations" in record:
        return "sharegpt"
    if "messages" in record:
        msgs = record["messages"]
        first = msgs[0] if isinstance(msgs, list) and msgs and isinstance(msgs[0], dict) else {}
        return "sharegpt" if "from" in first else "openai"
    if "instruction" in record and "output" in record:
        return "alpaca"
    if "prompt" in record and "completion" in record:
        return "completion"
    return None
