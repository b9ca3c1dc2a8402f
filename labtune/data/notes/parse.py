"""Read a folder of meeting notes (.md/.txt) into `Note`s: title, date, `Key: value` fields, lists.

Written for any lab's notes, not one layout: fields may be `Key: value`, `**Key**: value`,
`**Key:** value`, `Key - value` or `- Key: value`; the date comes from the first heading or line,
else the first lines of the body, else the file name; line endings may be CRLF.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from labtune.errors import LabtuneError

NOTE_SUFFIXES = (".md", ".txt", ".markdown")

# Different labs name the same role differently; questions are phrased per canonical key.
KEY_ALIASES = {
    "presenter": "Presenter", "presented by": "Presenter", "speaker": "Presenter", "presenters": "Presenter",
    "recorder": "Recorder", "recorded by": "Recorder", "note taker": "Recorder", "notetaker": "Recorder",
    "notes by": "Recorder", "scribe": "Recorder", "minutes": "Recorder", "minute taker": "Recorder",
    "topic": "Topic", "subject": "Topic", "theme": "Topic", "topics": "Topic",
}
MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september",
          "october", "november", "december"]
_MONTH_RE = "|".join(m[:3] + r"[a-z]*\.?" for m in MONTHS)

# `**Key**: v`, `**Key:** v`, `Key: v`, `Key - v`, optionally as a list item. Keys are short
# (1-4 words) and start with a letter so that "1. Step one: do X" is not taken for a field.
_FIELD_RE = re.compile(
    r"^\s*(?:[-*+]\s+)?(?:\*\*|__)?(?P<key>[A-Za-z][A-Za-z /'()]{0,30}?)\s*(?:\*\*|__)?"
    r"\s*(?::|\s-\s|\s–\s|\s—\s)\s*(?:\*\*|__)?\s*(?P<value>.*?)\s*$")
_HEADING_RE = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_NUMBERED_RE = re.compile(r"^\s*(\d{1,3})[.)]\s+(.*\S)\s*$")
_BULLET_RE = re.compile(r"^\s*[-*+•]\s+(?:\[[ xX]\]\s*)?(.*\S)\s*$")
_ACTION_RE = re.compile(r"^\s*(?:[-*+]\s+)?(?:\[[ xX]\]\s*|(?:TODO|Action|AI)\s*[:\-]\s*)(.*\S)\s*$", re.I)
_ACTION_HEADING_RE = re.compile(r"action items?|to-?dos?|next steps|follow[- ]ups?", re.I)
_QUESTION_HEADING_RE = re.compile(r"questions?|discussion|q\s*&\s*a", re.I)


@dataclass
class Fact:
    """One thing a note records (a list item, a sentence, an action item, a decision, a number),
    kept with the sentence it came from; its meeting is the `Note` that holds it."""

    text: str  # the item, cleaned of list markers and markup
    sentence: str  # the line or sentence it came from, as written
    kind: str = "item"  # item | sentence | action | decision | question | number
    people: list[str] = field(default_factory=list)  # names it mentions
    owner: str | None = None  # action items: who does it
    deadline: str | None = None  # action items: by when, as written


@dataclass
class Note:
    """One meeting (a file may hold several, split by dated headings; they share `path`)."""

    path: Path
    title: str
    date: date | None
    fields: dict[str, str]  # canonical key -> value, in the order they appear; empty values dropped
    text: str  # the note as written, normalized to \n line endings
    headings: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)  # numbered and bulleted list items (outline)
    questions: list[str] = field(default_factory=list)  # items under a Questions/Discussion heading
    actions: list[str] = field(default_factory=list)  # action items and TODOs
    empty_fields: list[str] = field(default_factory=list)
    sections: dict[str, list[str]] = field(default_factory=dict)  # heading -> its list items
    facts: list[Fact] = field(default_factory=list)
    date_source: str = ""  # where the date was read: heading, body, front matter, file name, ...

    @property
    def topic(self) -> str | None:
        return self.fields.get("Topic")

    @property
    def name(self) -> str:
        return self.path.name


def find_date(text: str) -> date | None:
    """First date in `text`: 4/14/2023, 2023-04-14, April 14, 2023, 14 April 2023, 4/14/23."""
    patterns = [
        (r"\b(\d{4})[-_/.](\d{1,2})[-_/.](\d{1,2})\b", lambda m: (m[1], m[2], m[3])),
        (r"\b(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})\b", lambda m: (m[3], m[1], m[2])),
        (rf"\b({_MONTH_RE})\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", lambda m: (m[3], _month(m[1]), m[2])),
        (rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+({_MONTH_RE})\s+(\d{{4}})\b", lambda m: (m[3], _month(m[2]), m[1])),
    ]
    found: list[tuple[int, date]] = []
    for pattern, parts in patterns:
        for match in re.finditer(pattern, text, re.I):
            year, month, day = (int(p) for p in parts(match))
            year += 2000 if year < 100 else 0
            try:
                found.append((match.start(), date(year, month, day)))
            except ValueError:
                continue
    return min(found)[1] if found else None


def _month(name: str) -> int:
    return [m[:3] for m in MONTHS].index(name[:3].lower()) + 1


def canonical_key(key: str) -> str:
    key = " ".join(key.strip().split())
    return KEY_ALIASES.get(key.lower(), key[:1].upper() + key[1:])


def _strip_markup(line: str) -> str:
    return re.sub(r"(\*\*|__)", "", line).strip()


def _field(line: str) -> tuple[str, str] | None:
    if _NUMBERED_RE.match(line) or _HEADING_RE.match(line):
        return None
    match = _FIELD_RE.match(line)
    if not match:
        return None
    key, value = match["key"].strip(), _strip_markup(match["value"])
    # A long "key" or one that is a sentence fragment is prose with a colon, not a field.
    if len(key.split()) > 4 or key.lower() in ("http", "https", "note", "todo", "questions", "question"):
        return None
    return key, value


def parse_note(path: Path, text: str) -> Note:
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    lines = text.split("\n")
    first = next((line for line in lines if line.strip()), "")
    heading = _HEADING_RE.match(first)
    title = _strip_markup(heading[2] if heading else first) or path.stem
    note_date = find_date(title) or find_date("\n".join(lines[:8])) or find_date(path.stem)

    fields: dict[str, str] = {}
    empty: list[str] = []
    headings: list[str] = []
    items: list[str] = []
    questions: list[str] = []
    actions: list[str] = []
    section = ""
    sections: dict[str, list[str]] = {}
    for line in lines:
        if not line.strip():
            continue
        head = _HEADING_RE.match(line)
        if head:
            headings.append(_strip_markup(head[2]))
            section = head[2]
            continue
        bare = _strip_markup(line).rstrip(":")
        if bare and (_QUESTION_HEADING_RE.fullmatch(bare) or _ACTION_HEADING_RE.fullmatch(bare)):
            section = bare  # "Questions:" on its own line works as a heading
            continue
        in_list_section = bool(_ACTION_HEADING_RE.search(section) or _QUESTION_HEADING_RE.search(section))
        # Under "Action items:" a line like "- Mateo: draft the map" is an item, not a field.
        kv = _field(line) if line is not first and not (in_list_section and _BULLET_RE.match(line)) else None
        if kv and not _ACTION_RE.match(line):
            key, value = kv
            if _ACTION_HEADING_RE.fullmatch(key) or _QUESTION_HEADING_RE.fullmatch(key):
                section = key
                if not value:
                    continue
            elif value:
                fields.setdefault(canonical_key(key), value)
                continue
            else:
                empty.append(canonical_key(key))
                continue
        action = _ACTION_RE.match(line)
        item = _NUMBERED_RE.match(line)
        bullet = _BULLET_RE.match(line)
        content = action[1] if action else item[2] if item else bullet[1] if bullet else None
        if content is None:
            continue
        if section:
            sections.setdefault(_strip_markup(section), []).append(_strip_markup(content))
        if action or _ACTION_HEADING_RE.search(section):
            actions.append(_strip_markup(content))
        elif _QUESTION_HEADING_RE.search(section):
            questions.append(_strip_markup(content))
        else:
            items.append(_strip_markup(content))
    return Note(path, title, note_date, fields, text.strip(), headings, items, questions, actions, empty, sections)


@dataclass
class NotesFolder:
    notes: list[Note]
    undecodable: list[Path]  # reported to the user, then skipped


def read_notes(folder: Path) -> NotesFolder:
    """All notes under `folder`, recursively, sorted by date then path (dateless last)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise LabtuneError(f"{folder}: not a directory of notes")
    notes, bad = [], []
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in NOTE_SUFFIXES):
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            bad.append(path)
            continue
        if text.strip():
            notes.append(parse_note(path, text))
    notes.sort(key=lambda n: (n.date is None, n.date or date.min, str(n.path)))
    return NotesFolder(notes, bad)
