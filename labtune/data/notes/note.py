"""What the notes reader gives: one `Note` per meeting, its `Fact`s, and the folder with what it skipped."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path


class NotNotes(ValueError):
    """A file in a format notes come in (a table, a chat export, a transcript) that holds no meeting;
    its message is the reason the folder gives for skipping it."""


@dataclass
class Fact:
    """One thing a note records (a list item, a sentence, an action item, a decision, a number),
    kept with the sentence it came from; its meeting is the `Note` that holds it (`Note.key`)."""

    text: str  # the item, cleaned of list markers and markup
    sentence: str  # the line or sentence it came from, as written
    kind: str = "item"  # item | sentence | action | decision | question | number
    people: list[str] = field(default_factory=list)  # names it mentions (full names where the folder knows them)
    owner: str | None = None  # action items: who does it
    deadline: str | None = None  # action items: by when, as written ("Friday", "before the next meeting")
    task: str | None = None  # action items: the text without the owner's name ("will order the foils by Friday")
    numbers: list[str] = field(default_factory=list)  # quantities with their unit: "42 %", "700 GB", "0.87"
    instruments: list[str] = field(default_factory=list)  # "gas chromatograph", "HPLC", "TOC analyzer"
    samples: list[str] = field(default_factory=list)  # "core B", "48 samples", "the drought plots"


@dataclass
class Note:
    """One meeting (a file may hold several, split by dated headings; they share `path`)."""

    path: Path
    title: str
    date: date | None
    fields: dict[str, str]  # canonical key -> value, in the order they appear; empty values dropped
    text: str  # the meeting's own text, normalized to \n line endings
    headings: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)  # numbered and bulleted list items (outline)
    questions: list[str] = field(default_factory=list)  # items under a Questions/Discussion heading
    actions: list[str] = field(default_factory=list)  # action items and TODOs
    empty_fields: list[str] = field(default_factory=list)
    sections: dict[str, list[str]] = field(default_factory=dict)  # heading -> its list items
    facts: list[Fact] = field(default_factory=list)
    date_source: str = ""  # where the date was read: heading, first lines, front matter, file name, ...
    field_sources: dict[str, str] = field(default_factory=dict)  # key -> where it was read ("label", ...)
    problems: list[str] = field(default_factory=list)  # what the reader could not use, for --explain

    @property
    def topic(self) -> str | None:
        return self.fields.get("Topic")

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def key(self) -> str:
        """The meeting key facts are taught with: its date and topic ("2024-01-09 rhizosphere pH mapping")."""
        when = self.date.isoformat() if self.date else f'"{self.title}"'
        return f"{when} {self.topic}" if self.topic else when


@dataclass
class NotesFolder:
    notes: list[Note]
    skipped: list[tuple[Path, str]] = field(default_factory=list)  # (file, reason), reported to the user
    # How the folder writes numeric dates (True: 02/04/2024 is 2 April; None: no evidence, month first).
    # Pass it to dates.find_dates(question, day_first=...) to read a question's date the notes' way.
    day_first: bool | None = None

    @property
    def undecodable(self) -> list[Path]:
        return [path for path, reason in self.skipped if reason.startswith("not UTF-8")]
