"""The notes index: chunks of every meeting, their dates, BM25 over their text, optionally embeddings.

Building again over a changed folder reuses what did not change: a meeting whose content hash is the
same keeps its chunks (and their embeddings); only new or edited meetings are chunked (and embedded)
again. BM25 is rebuilt whole, since every chunk's weights depend on the whole collection's word counts
(it takes milliseconds).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path

import numpy as np

from labtune.data.notes.folder import require_notes
from labtune.data.notes.parse import read_notes
from labtune.retrieval import bm25
from labtune.retrieval.chunks import Chunk, Meeting, chunk_meeting, meetings

FORMAT = "labtune-notes-index"
VERSION = 2  # 2: chunks are led by the meeting's card


@dataclass
class NotesIndex:
    notes_dir: str  # the folder it was built from (absolute)
    notes: list[dict]  # per meeting: key (its path under notes_dir), source, title, date, hash, chunks (ids)
    chunks: list[Chunk]
    settings: dict  # stemmer, embedding model (None when off)
    retriever: object = field(repr=False)  # bm25s.BM25
    embeddings: np.ndarray | None = field(default=None, repr=False)  # one unit row per chunk
    path: Path | None = None  # where it is stored; None for an index built in memory

    @property
    def embedding(self) -> str | None:
        return self.settings.get("embedding")

    @property
    def day_first(self) -> bool | None:
        """How the notes write numeric dates (13/05 or 5/13); questions are read the same way."""
        return self.settings.get("day_first")

    @cached_property
    def dates(self) -> list[date | None]:
        return [date.fromisoformat(c.date) if c.date else None for c in self.chunks]

    def chunks_of(self, note_keys: set[str]) -> list[Chunk]:
        return [c for c in self.chunks if c.note in note_keys]


@dataclass
class BuildReport:
    index: NotesIndex
    added: int = 0  # meetings new to the index
    changed: int = 0  # meetings whose text changed
    removed: int = 0
    unchanged: int = 0  # reused as they were
    undated: list[str] = field(default_factory=list)  # meetings without a date (found by words only)
    undecodable: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        index = self.index
        return (f"{len(index.notes)} meetings, {len(index.chunks)} chunks ({self.added} added, {self.changed} "
                f"changed, {self.removed} removed, {self.unchanged} unchanged) in {self.seconds:.2f}s")


def read_meetings(notes_dir: Path) -> tuple[list[Meeting], list[str], bool | None]:
    """The meetings of a notes folder; an empty folder or one where no note has a date is refused."""
    folder = read_notes(Path(notes_dir))
    require_notes(folder, Path(notes_dir))
    undecodable = [str(p) for p in folder.undecodable]
    return meetings(folder.notes, Path(notes_dir)), undecodable, folder.day_first


def _bm25_text(chunk: Chunk) -> str:
    return f"{chunk.source}\n{chunk.text}"


def build(notes_dir: Path, previous: NotesIndex | None = None, embedding: bool | None = None) -> BuildReport:
    """Index `notes_dir` in memory, reusing `previous` for unchanged meetings.

    `embedding`: None keeps the previous index's choice (off for a new index).
    """
    started = time.perf_counter()
    found, undecodable, day_first = read_meetings(notes_dir)
    use_embedding = bool(previous and previous.embedding) if embedding is None else embedding
    old_notes = {n["key"]: n for n in previous.notes} if previous else {}
    old_chunks = {c.id: c for c in previous.chunks} if previous else {}
    report_counts = {"added": 0, "changed": 0, "unchanged": 0}
    notes, chunks = [], []
    for meeting in found:
        old = old_notes.get(meeting.key)
        if old is not None and old["hash"] == meeting.hash and all(i in old_chunks for i in old["chunks"]):
            mine = [old_chunks[i] for i in old["chunks"]]
            report_counts["unchanged"] += 1
        else:
            mine = chunk_meeting(meeting)
            report_counts["changed" if old is not None else "added"] += 1
        note = meeting.note
        notes.append({"key": meeting.key, "source": meeting.source, "title": note.title,
                      "date": note.date.isoformat() if note.date else None, "hash": meeting.hash,
                      "chunks": [c.id for c in mine]})
        chunks += mine
    settings = {"stemmer": bm25.STEMMER, "embedding": None, "day_first": day_first}
    retriever = bm25.build([_bm25_text(c) for c in chunks], settings["stemmer"])
    vectors = None
    if use_embedding:
        from labtune.retrieval import embed

        settings["embedding"] = embed.MODEL
        vectors = _embeddings(chunks, previous, embed.embed)
    index = NotesIndex(str(Path(notes_dir).resolve()), notes, chunks, settings, retriever, vectors)
    removed = len(set(old_notes) - {n["key"] for n in notes})
    return BuildReport(index, removed=removed, undecodable=undecodable,
                       undated=[n["source"] for n in notes if n["date"] is None],
                       seconds=time.perf_counter() - started, **report_counts)


def _embeddings(chunks: list[Chunk], previous: NotesIndex | None, embed) -> np.ndarray:
    """Rows for every chunk: reused from `previous` where the same chunk was embedded, the rest computed."""
    reuse: dict[tuple[str, str], np.ndarray] = {}
    if previous is not None and previous.embeddings is not None:
        reuse = {(c.id, c.text): previous.embeddings[i] for i, c in enumerate(previous.chunks)}
    missing = [c for c in chunks if (c.id, c.text) not in reuse]
    fresh = dict(zip(((c.id, c.text) for c in missing), embed([_bm25_text(c) for c in missing])))
    rows = [reuse.get((c.id, c.text), fresh.get((c.id, c.text))) for c in chunks]
    return np.stack(rows).astype(np.float32) if rows else np.zeros((0, 384), dtype=np.float32)
