"""One record of a data file -> a `Conversation`, per format: ShareGPT/Vicuna and OpenAI messages, Alpaca
(with LLaMA-Factory's `system` and `history`), and TRL's prompt-completion. Each problem is a `DataError`
naming file, record, id and field; `labtune.data.readers` loads the files and collects them.
"""

from __future__ import annotations

import re

from labtune.data.conversation import Conversation, Message
from labtune.errors import DataError

# FastChat's roles and the OpenAI ones; anything else is refused rather than guessed.
ROLE_MAP = {"human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant", "system": "system"}


def first_turns_left_out(count: int) -> str:
    """What `data check` and `train` say about the ShareGPT records whose opening assistant turn was left out."""
    records = "record opens" if count == 1 else "records open"
    return (f"{count} ShareGPT {records} with the assistant's turn: it is left out and the rest trained, "
            "as FastChat's training does")


def json_type(value) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
            type(None): "null"}.get(type(value), "a number")


def _record_id(record: dict) -> str | None:
    value = record.get("id")
    return None if value is None or isinstance(value, (dict, list)) else str(value)


def _parse_chat(record, file: str, index: int, fmt: str) -> Conversation:
    """ShareGPT (`from`/`value`) or OpenAI (`role`/`content`) messages; either key style is read."""
    if not isinstance(record, dict):
        raise DataError(f"wrong type: expected an object, got {json_type(record)}", file, index)
    rid = _record_id(record)

    def error(message: str, where: str) -> DataError:
        return DataError(message, file, index, rid, where)

    list_key = "messages" if fmt == "openai" or ("messages" in record and "conversations" not in record) \
        else "conversations"
    if list_key not in record:
        raise error("missing", list_key)
    items = record[list_key]
    if not isinstance(items, list):
        raise error(f"wrong type: expected an array of messages, got {json_type(items)}", list_key)
    messages: list[Message] = []
    if isinstance(record.get("system"), str) and record["system"].strip():
        messages.append(Message("system", record["system"]))  # LLaMA-Factory style top-level system
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise error(f"wrong type: expected an object, got {json_type(item)}", f"{list_key}[{i}]")
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
            raise error(f"wrong type: expected a string, got {json_type(item[content_key])}",
                        f"{list_key}[{i}].{content_key}")
        if not content.strip():
            raise error("empty content", f"{list_key}[{i}].{content_key}")
        messages.append(Message(ROLE_MAP[raw_role.lower()], content))
    places = ["system"] * (len(messages) - len(items)) + [f"{list_key}[{i}]" for i in range(len(items))]
    meta = {}
    first = next((i for i, m in enumerate(messages) if m.role != "system"), None)
    if list_key == "conversations" and first is not None and first + 1 < len(messages) \
            and messages[first].role == "assistant":
        # FastChat's training leaves out a ShareGPT conversation's first turn when it is not the human's
        # (ShareGPT dumps open with the bot's greeting): the same prompt is trained here, and `data check` counts it.
        meta["left_out"] = places.pop(first)
        del messages[first]
    _check_order(messages, error, list_key, places)
    return Conversation(messages, id=rid, source=file, index=index, meta=meta)


def _text(content) -> str | None:
    """A string, or OpenAI's list of content parts when they are all text."""
    if isinstance(content, str):
        return content
    if isinstance(content, list) and all(isinstance(p, dict) and p.get("type") == "text"
                                         and isinstance(p.get("text"), str) for p in content):
        return "".join(p["text"] for p in content)
    return None


def _check_order(messages: list[Message], error, list_key: str, places: list[str]) -> None:
    """An optional system message first, then user/assistant alternating, with an assistant turn;
    `places` names each message where the record holds it."""
    if not messages:
        raise error("empty conversation", list_key)
    expected = "user"
    for i, msg in enumerate(messages):
        where = places[i]
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
        raise DataError(f"wrong type: expected an object, got {json_type(record)}", file, index)
    rid = _record_id(record)
    values = {}
    for key in ("instruction", "input", "output"):
        value = record.get(key, "" if key == "input" else None)
        if value is None and key == "input":
            value = ""
        if value is None:
            raise DataError("missing", file, index, rid, key)
        if not isinstance(value, str):
            raise DataError(f"wrong type: expected a string, got {json_type(value)}", file, index, rid, key)
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
        raise DataError(f"wrong type: expected a list of [instruction, answer] pairs, got {json_type(history)}",
                        file, index, rid, "history")
    messages = []
    for i, pair in enumerate(history):
        if not (isinstance(pair, list) and len(pair) == 2):
            raise DataError(f"wrong type: expected an [instruction, answer] pair, got {json_type(pair)}"
                            + (f" of {len(pair)}" if isinstance(pair, list) else ""), file, index, rid, f"history[{i}]")
        for j, (role, text) in enumerate(zip(("user", "assistant"), pair)):
            if not isinstance(text, str):
                raise DataError(f"wrong type: expected a string, got {json_type(text)}", file, index, rid, f"history[{i}][{j}]")
            if not text.strip():
                raise DataError("empty content", file, index, rid, f"history[{i}][{j}]")
            messages.append(Message(role, text))
    return messages


def _parse_completion(record, file: str, index: int, fmt: str = "completion") -> Conversation:
    """TRL's prompt-completion records: two strings, or two message lists (the conversation, the answer)."""
    if not isinstance(record, dict):
        raise DataError(f"wrong type: expected an object, got {json_type(record)}", file, index)
    rid = _record_id(record)
    prompt, completion = record.get("prompt"), record.get("completion")
    for key, value in (("prompt", prompt), ("completion", completion)):
        if value is None:
            raise DataError("missing", file, index, rid, key)
        if not isinstance(value, (str, list)):
            raise DataError(f"wrong type: expected a string or an array of messages, got {json_type(value)}",
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


PARSERS = {"sharegpt": _parse_chat, "openai": _parse_chat, "alpaca": _parse_alpaca, "completion": _parse_completion}
