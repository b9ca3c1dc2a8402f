"""A meeting held in a Slack channel, as Slack's workspace export saves it: one JSON file per channel and
day (`lab-meeting/2024-01-16.json`, a list of messages), the workspace's people in `users.json` at the
export's root. A day is written as the chat log the reader knows ("#lab-meeting 2024-01-16", then
"[10:02] Yuki Sato: text" per message) and read as chat logs are (`chatlog.py`)."""

from __future__ import annotations

import html
import json
import re
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

from labtune.data.notes.note import NotNotes

_DAY = re.compile(r"\d{4}-\d\d-\d\d")
# Slack's export writes these beside the channels' folders: the workspace, not a meeting.
EXPORT_FILES = {"users.json", "channels.json", "groups.json", "dms.json", "mpims.json", "integration_logs.json",
                "canvases.json", "org_users.json"}
_NOT_SAID = {"channel_join", "channel_leave", "channel_purpose", "channel_name", "channel_archive", "bot_add",
             "pinned_item", "reminder_add"}
_USERS_UP_TO = 3  # users.json sits at the export's root: channel folder -> export root


class NotSlack(NotNotes):
    """JSON, but not a day of a Slack channel."""


def _people(folder: Path) -> dict[str, str]:
    """User id -> the name Slack shows, from the nearest `users.json` above `folder`."""
    for parent in [folder, *folder.parents][:_USERS_UP_TO]:
        path = parent / "users.json"
        if path.is_file():
            return _people_in(path, path.stat().st_mtime_ns)
    return {}


@lru_cache(maxsize=8)  # read once per export, not once per day; a changed file is read again
def _people_in(path: Path, mtime_ns: int) -> dict[str, str]:
    try:
        users = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError):
        return {}
    if not isinstance(users, list):
        return {}
    return {u["id"]: _name(u) for u in users if isinstance(u, dict) and isinstance(u.get("id"), str) and _name(u)}


def _name(user: dict) -> str:
    profile = user.get("profile") if isinstance(user.get("profile"), dict) else user
    for key in ("real_name", "display_name", "name"):
        for source in (profile, user):
            value = source.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
    return ""


def _plain(text: str, people: dict[str, str]) -> str:
    """Slack's markup as the text it shows: mentions by name, links by their label, entities decoded."""
    text = re.sub(r"<@(\w+)(?:\|([^>]+))?>", lambda m: "@" + (people.get(m[1]) or m[2] or m[1]), text)
    text = re.sub(r"<#\w+\|([^>]+)>", r"#\1", text)
    text = re.sub(r"<!(\w+)(?:\|[^>]*)?>", r"@\1", text)
    text = re.sub(r"<([^|>]+)\|([^>]+)>", r"\2", text)
    return html.unescape(re.sub(r"<([^>]+)>", r"\1", text))


def slack_day_to_chat(text: str, path: Path) -> str:
    """The day's messages as a chat log headed by the channel and day; NotSlack when `text` is no such day."""
    if path.name.lower() in EXPORT_FILES:
        raise NotSlack("a Slack export's list of its workspace (people, channels), not a meeting")
    try:
        messages = json.loads(text)
    except ValueError as exc:
        raise NotSlack(f"JSON that cannot be read ({exc})") from None
    if not (isinstance(messages, list) and messages and all(isinstance(m, dict) for m in messages)
            and all("ts" in m for m in messages)):
        raise NotSlack("JSON that is not a day of a Slack channel's export (a list of messages, each with a 'ts')")
    people = _people(path.parent)
    lines, first_day = [], None
    for message in sorted((m for m in messages if _is_time(m["ts"])), key=lambda m: float(m["ts"])):
        said = message.get("text")
        if str(message.get("subtype")) in _NOT_SAID or not isinstance(said, str) or not said.strip():
            continue
        profile = message.get("user_profile") if isinstance(message.get("user_profile"), dict) else {}
        user, username = (value if isinstance(value, str) else "" for value in (message.get("user"), message.get("username")))
        who = _name(profile) or people.get(user) or username or user or "someone"
        when = datetime.fromtimestamp(float(message["ts"]), timezone.utc)
        first_day = first_day or when.date().isoformat()
        first, *rest = _plain(said, people).strip().split("\n")
        lines += [f"[{when:%H:%M}] {who}: {first}", *rest]
    if not lines:
        raise NotSlack("a day of a Slack channel with no message that says something")
    day = path.stem if _DAY.fullmatch(path.stem) else first_day  # the export names each day's file by its date
    return f"#{path.parent.name} {day}\n" + "\n".join(lines) + "\n"


def _is_time(value) -> bool:
    """A Slack `ts`: seconds since 1970 as a number or a string, within the years a chat can be from."""
    try:
        return 0 < float(value) < 4e9 and not isinstance(value, bool)
    except (TypeError, ValueError):
        return False
