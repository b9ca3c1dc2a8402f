"""Notes -> chunks: one meeting is one chunk; a long meeting is split into overlapping parts, each
starting with the meeting's header (its title line and card) so a part still says which meeting it
belongs to. A chunk's text is the note led by its card (`labtune.data.notes.card`), as training shows notes.

A chunk's `source` is what the model sees as the note's name (`Passage.source`): the file name, with
the meeting's date for a file that holds several meetings, and the part for a split meeting.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from pathlib import Path

from labtune.data.context import Passage
from labtune.data.notes.card import card, with_card
from labtune.data.notes.parse import Note

# About 500 tokens: three parts fit a small model's prompt with room for the question and answer.
MAX_WORDS = 350
OVERLAP_WORDS = 50


@dataclass(frozen=True)
class Chunk:
    id: str  # "<note key>#<part>"
    note: str  # the meeting it comes from: its path under the notes folder (+ "@N" in a multi-meeting file)
    source: str
    date: str | None  # the meeting's date, ISO
    topic: str | None
    text: str

    @property
    def passage(self) -> Passage:
        return Passage(self.source, self.text)

    def to_dict(self) -> dict:
        return asdict(self)


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Meeting:
    """One note with the names retrieval gives it."""

    note: Note
    key: str
    source: str

    @property
    def hash(self) -> str:
        """What decides whether the meeting must be chunked again: its text, its names and its card (which
        can change with another note: a first name is written out in full where the folder knows it)."""
        return content_hash("\n".join([self.key, self.source, str(self.note.date), card(self.note), self.note.text]))


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()  # the reader lists files under the folder it was given
    except ValueError:
        try:
            return path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            return path.name


def meetings(notes: list[Note], root: Path) -> list[Meeting]:
    """Each note keyed by its path under `root`; meetings sharing a file are told apart by date."""
    per_file: dict[Path, list[Note]] = {}
    for note in notes:
        per_file.setdefault(Path(note.path), []).append(note)
    out = []
    root = Path(root)
    for path, group in per_file.items():
        rel = _relative(path, root)
        for i, note in enumerate(group):
            if len(group) == 1:
                out.append(Meeting(note, rel, path.name))
            else:
                label = note.date.isoformat() if note.date else note.title
                out.append(Meeting(note, f"{rel}@{i + 1}", f"{path.name} ({label})"))
    return out


def _header(note: Note) -> str:
    """What every part of a split meeting starts with: its title and its card without the action items
    (those stay in the part that holds them), so a part still says which meeting it belongs to."""
    lead = card(note, actions=False)
    return f"{note.title}\n{lead}" if lead else note.title


def _parts(lines: list[str], max_words: int, overlap: int) -> list[list[str]]:
    """Consecutive runs of whole lines of at most ~max_words, each repeating ~overlap words of the last."""
    parts: list[list[str]] = []
    current: list[str] = []
    words = 0
    for line in lines:
        size = len(line.split())
        if current and words + size > max_words:
            parts.append(current)
            carry: list[str] = []
            for previous in reversed(current):
                if sum(len(x.split()) for x in carry) + len(previous.split()) > overlap:
                    break
                carry.insert(0, previous)
            current, words = carry, sum(len(x.split()) for x in carry)
        current.append(line)
        words += size
    if current:
        parts.append(current)
    return parts


def chunk_meeting(meeting: Meeting, max_words: int = MAX_WORDS, overlap: int = OVERLAP_WORDS) -> list[Chunk]:
    note = meeting.note
    when = note.date.isoformat() if note.date else None
    whole = with_card(note)
    if len(whole.split()) <= max_words:
        return [Chunk(f"{meeting.key}#1", meeting.key, meeting.source, when, note.topic, whole)]
    header = _header(note)
    lines = note.text.strip().split("\n")
    first = lines[0].strip() == note.title.strip()
    parts = _parts(lines[1:] if first else lines, max_words - len(header.split()), overlap)
    chunks = []
    for i, part in enumerate(parts, 1):
        body = "\n".join(part).strip("\n")
        source = f"{meeting.source} (part {i} of {len(parts)})"
        chunks.append(Chunk(f"{meeting.key}#{i}", meeting.key, source, when, note.topic, f"{header}\n\n{body}"))
    return chunks


def chunk_notes(notes: list[Note], root: Path) -> list[Chunk]:
    """All chunks of a notes folder, in the notes' order: what training and answering both put in prompts."""
    return [chunk for meeting in meetings(notes, root) for chunk in chunk_meeting(meeting)]
