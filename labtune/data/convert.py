"""`labtune data convert`: write conversations as ShareGPT (JSON), Alpaca (JSON) or OpenAI (JSONL).

The output is written to a temporary file next to the target and renamed, so an interrupted
conversion never leaves a half-written data file behind.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from labtune.data.conversation import Conversation
from labtune.data.readers import FORMATS, problems_error, read_file
from labtune.errors import DataError, LabtuneError

SHAREGPT_ROLES = {"user": "human", "assistant": "gpt", "system": "system"}


def to_sharegpt(conv: Conversation) -> dict:
    record = {"id": conv.id} if conv.id is not None else {}
    record["conversations"] = [{"from": SHAREGPT_ROLES[m.role], "value": m.content} for m in conv.messages]
    return record


def to_openai(conv: Conversation) -> dict:
    # Only `messages`: OpenAI's fine-tuning upload rejects unknown top-level keys.
    return {"messages": [m.to_dict() for m in conv.messages]}


def to_alpaca(conv: Conversation) -> dict:
    """The last user turn and its answer; earlier turns as LLaMA-Factory's `history` pairs and a system
    message as its `system`. An Alpaca source keeps its instruction/input split."""
    turns = conv.turns
    roles = [m.role for m in turns]
    if len(roles) < 2 or roles[-2:] != ["user", "assistant"]:
        raise DataError(f"cannot be written as Alpaca: it needs to end with a user and an assistant message, "
                        f"got {'/'.join(roles)}", conv.source, conv.index, conv.id, "messages")
    *earlier, question, answer = turns
    parts = conv.meta.get("alpaca") or {"instruction": question.content, "input": ""}
    record = {"instruction": parts["instruction"], "input": parts["input"], "output": answer.content}
    if conv.system is not None:
        record["system"] = conv.system
    if earlier:
        record["history"] = [[earlier[i].content, earlier[i + 1].content] for i in range(0, len(earlier), 2)]
    return record


def to_completion(conv: Conversation) -> dict:
    """TRL's prompt-completion shape: strings for one user turn and its answer, else the conversation
    before the last answer as the prompt's messages and that answer as the completion."""
    *before, last = conv.messages
    if last.role != "assistant":
        raise DataError("cannot be written as prompt-completion: the last message is not the assistant's",
                        conv.source, conv.index, conv.id, "messages")
    if [m.role for m in before] == ["user"]:
        return {"prompt": before[0].content, "completion": last.content}
    return {"prompt": [m.to_dict() for m in before], "completion": [last.to_dict()]}


WRITERS = {"sharegpt": to_sharegpt, "alpaca": to_alpaca, "openai": to_openai, "completion": to_completion}


def convert(src: str | Path, out: str | Path, to: str, format: str | None = None,
            skip_invalid: bool = False) -> tuple[int, list[DataError]]:
    """Convert `src` to format `to` at `out`. Returns (records written, records skipped with reasons)."""
    if to not in FORMATS:
        raise LabtuneError(f"unknown output format {to!r}: use one of {', '.join(FORMATS)}")
    result = read_file(src, format, skip_invalid=True)  # conversion problems are summarized with these
    problems = list(result.problems)
    records = []
    for conv in result.conversations:
        try:
            records.append(WRITERS[to](conv))
        except DataError as exc:
            problems.append(exc)
    if problems and not skip_invalid:
        raise problems_error(problems)
    if not records:
        raise LabtuneError(f"{src}: nothing to write (no valid records)")
    if to in ("openai", "completion"):
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    else:
        text = json.dumps(records, ensure_ascii=False, indent=2) + "\n"
    write_atomic(Path(out), text)
    return len(records), problems


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
