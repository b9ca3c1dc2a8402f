"""Read ShareGPT/Vicuna, Alpaca, OpenAI-messages and prompt-completion files (JSON array or JSONL) into
Conversations.

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

from labtune.data.conversation import Conversation, Message
from labtune.errors import DataError, LabtuneError
from labtune.textfile import decode, not_text

FORMATS = ("sharegpt", "alpaca", "openai", "completion")
# FastChat's roles and the OpenAI ones; anything else is refused rather than guessed.
ROLE_MAP = {"human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant", "system": "system"}
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
    parse = {"sharegpt": _parse_chat, "openai": _parse_chat, "alpaca": _parse_alpaca,
             "completion": _parse_completion}[fmt]
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
        raise DataError(f"wrong type: expected a JSON array of records or JSONL, got {_type(data)}", str(path))
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


def _type(value) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
            type(None): "null"}.get(type(value), "a number")


def _record_id(record: dict) -> str | None:
    value = record.get("id")
    return None if value is None or isinstance(value, (dict, list)) else str(value)


def _parse_chat(record, file: str, index: int, fmt: str) -> Conversation:
    """ShareGPT (`from`/`value`) or OpenAI (`role`/`content`) messages; either key style is read."""
    if not isinstance(record, dict):
        raise DataError(f"wrong type: expected an object, got {_type(record)}", file, index)
    rid = _record_id(record)

    def error(message: str, where: str) -> DataError:
        return DataError(message, file, index, rid, where)

    list_key = "messages" if fmt == "openai" or ("messages" in record and "conversations" not in record) \
        else "conversations"
    if list_key not in record:
        raise error("missing", list_key)
    items = record[list_key]
    if not isinstance(items, list):
        raise error(f"wrong type: expected an array of messages, got {_type(items)}", list_key)
    messages: list[Message] = []
    if isinstance(record.get("system"), str) and record["system"].strip():
        messages.append(Message("system", record["system"]))  # LLaMA-Factory style top-level system
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise error(f"wrong type: expected an object, got {_type(item)}", f"{list_key}[{i}]")
        role_key = "from" if "from" in item else "role"
        content_key = "value" if "value" in item else "content"
        if role_key not in item:
            raise error("missing", f"{list_key}[{i}].{'from' if fmt == 'sharegpt' else 'role'}")
        raw_role = item[role_key]
        if not isinstance(raw_role, str) or raw_role.lower() not in ROLE_MAP:
            raise error(f"unknown role {raw_role!r} (expected one of {', '.join(ROLE_MAP)})",
                        f"{list_key}[{i}].{role_key}")
        if content_key not in item:
            raise error("missing", f"{list_key}[{i}].{'value' if fmt == 'sharegpt' else 'content'}")
        content = _text(item[content_key])
        if content is None:
            raise error(f"wrong type: expected a string, got {_type(item[content_key])}",
                        f"{list_key}[{i}].{content_key}")
        if not content.strip():
            raise error("empty content", f"{list_key}[{i}].{content_key}")
        messages.append(Message(ROLE_MAP[raw_role.lower()], content))
    _check_order(messages, error, list_key, offset=len(messages) - len(items))
    return Conversation(messages, id=rid, source=file, index=index)


def _text(content) -> str | None:
    """A string, or OpenAI's list of content parts when they are all text."""
    if isinstance(content, str):
        return content
    if isinstance(content, list) and all(isinstance(p, dict) and p.get("type") == "text"
                                         and isinstance(p.get("text"), str) for p in content):
        return "".join(p["text"] for p in content)
    return None


def _check_order(messages: list[Message], error, list_key: str, offset: int) -> None:
    """An optional system message first, then user/assistant alternating, with an assistant turn."""
    if not messages:
        raise error("empty conversation", list_key)
    expected = "user"
    for i, msg in enumerate(messages):
        where = f"{list_key}[{i - offset}]" if i >= offset else "system"
        if msg.role == "system":
            if i != 0:
                raise error("system message is only allowed first", where)
            continue
        if msg.role != expected:
            first = all(m.role == "system" for m in messages[:i])
            raise error("roles do not alternate: the first turn must be from the user" if first else
                        f"roles do not alternate: {msg.role} after {messages[i - 1].role}", where)
        expected = "assistant" if expected == "user" else "user"
    if not any(m.role == "assistant" for m in messages):
        raise error("no assistant turn (nothing to train on)", list_key)


def _parse_alpaca(record, file: str, index: int, fmt: str = "alpaca") -> Conversation:
    """instruction + input -> user, output -> assistant; the parts are kept for the exact prompt."""
    if not isinstance(record, dict):
        raise DataError(f"wrong type: expected an object, got {_type(record)}", file, index)
    rid = _record_id(record)
    values = {}
    for key in ("instruction", "input", "output"):
        value = record.get(key, "" if key == "input" else None)
        if value is None and key == "input":
            value = ""
        if value is None:
            raise DataError("missing", file, index, rid, key)
        if not isinstance(value, str):
            raise DataError(f"wrong type: expected a string, got {_type(value)}", file, index, rid, key)
        values[key] = value
    if not values["instruction"].strip():
        raise DataError("empty content", file, index, rid, "instruction")
    # An empty `output` is kept: Stanford Alpaca trains it as EOS alone (its data has a few).
    user = values["instruction"] + ("\n\n" + values["input"] if values["input"] else "")
    earlier = _alpaca_history(record.get("history"), file, index, rid)
    messages = [*earlier, Message("user", user), Message("assistant", values["output"])]
    if isinstance(record.get("system"), str) and record["system"].strip():
        messages.insert(0, Message("system", record["system"]))
    parts = {"instruction": values["instruction"], "input": values["input"]}
    if earlier:
        parts["turn"] = len(earlier)  # the turn (system message aside) the instruction/input split belongs to
    return Conversation(messages, id=rid, source=file, index=index, meta={"alpaca": parts})


def _alpaca_history(history, file: str, index: int, rid: str | None) -> list[Message]:
    """LLaMA-Factory's `history`: earlier [instruction, answer] pairs, oldest first, as the turns before."""
    if history is None:
        return []
    if not isinstance(history, list):
        raise DataError(f"wrong type: expected a list of [instruction, answer] pairs, got {_type(history)}",
                        file, index, rid, "history")
    messages = []
    for i, pair in enumerate(history):
        if not (isinstance(pair, list) and len(pair) == 2):
            raise DataError(f"wrong type: expected an [instruction, answer] pair, got {_type(pair)}"
                            + (f" of {len(pair)}" if isinstance(pair, list) else ""), file, index, rid, f"history[{i}]")
        for j, (role, text) in enumerate(zip(("user", "assistant"), pair)):
            if not isinstance(text, str):
                raise DataError(f"wrong type: expected a string, got {_type(text)}", file, index, rid, f"history[{i}][{j}]")
            if not text.strip():
                raise DataError("empty content", file, index, rid, f"history[{i}][{j}]")
            messages.append(Message(role, text))
    return messages


def _parse_completion(record, file: str, index: int, fmt: str = "completion") -> Conversation:
    """TRL's prompt-completion records: two strings, or two message lists (the conversation, the answer)."""
    if not isinstance(record, dict):
        raise DataError(f"wrong type: expected an object, got {_type(record)}", file, index)
    rid = _record_id(record)
    prompt, completion = record.get("prompt"), record.get("completion")
    for key, value in (("prompt", prompt), ("completion", completion)):
        if value is None:
            raise DataError("missing", file, index, rid, key)
        if not isinstance(value, (str, list)):
            raise DataError(f"wrong type: expected a string or an array of messages, got {_type(value)}",
                            file, index, rid, key)
    if isinstance(prompt, str) != isinstance(completion, str):
        raise DataError("wrong type: prompt and completion must both be strings or both arrays of messages",
                        file, index, rid, "completion")
    if isinstance(prompt, str):
        for key, value in (("prompt", prompt), ("completion", completion)):
            if not value.strip():
                raise DataError("empty content", file, index, rid, key)
        messages = [Message("user", prompt), Message("assistant", completion)]
        if isinstance(record.get("system"), str) and record["system"].strip():
            messages.insert(0, Message("system", record["system"]))
        return Conversation(messages, id=rid, source=file, index=index)
    try:
        conv = _parse_chat({"messages": prompt + completion, **({"id": record["id"]} if "id" in record else {})},
                           file, index, "openai")
    except DataError as exc:  # messages[k] -> the list and position the user wrote
        k = re.match(r"messages\[(\d+)\](.*)", exc.field or "")
        at = int(k[1]) if k else 0
        listed, at = ("prompt", at) if at < len(prompt) else ("completion", at - len(prompt))
        field = f"{listed}[{at}]{k[2]}" if k else ("completion" if exc.field == "messages" else exc.field)
        raise DataError(exc.reason, file, index, rid, field) from None
    if not completion or any(m.get("role") != "assistant" for m in completion if isinstance(m, dict)):
        raise DataError("the completion must be the assistant's turn", file, index, rid, "completion")
    return conv
