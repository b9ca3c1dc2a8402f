"""Closed-book, open-book and right-note prompts for the same questions, and retrieval hit@1/hit@3.

The right note of a question is the meeting it is about: named by an optional `"note"` field in the
questions file (a file name or path under the notes folder), else the meeting(s) on the date the
question names. Questions with neither have no right note: they count for closed- and open-book only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from labtune.data.conversation import Message
from labtune.errors import LabtuneError
from labtune.eval.questions import Question
from labtune.model.run_dir import RunDir
from labtune.retrieval import NotesIndex, index_for, retrieve, search
from labtune.retrieval.open_book import question_dates, with_read_notes
from labtune.retrieval.search import Hit, date_matches
from labtune.retrieval.dates import find_dates

CLOSED, OPEN, RIGHT = "closed-book", "open-book", "right note"
MODES = (CLOSED, OPEN, RIGHT)


@dataclass
class Books:
    """Per question: the open-book and right-note prompts, what retrieval found, and the right meetings."""

    index: NotesIndex
    k: int
    prompts: dict[str, list[list[Message]]]  # OPEN: every question; RIGHT: those with a known right note
    used: list[list[str]]  # notes put in each open-book prompt
    ranked: list[list[str]]  # meetings of the top 3 chunks by search
    right: list[set[str] | None] = field(default_factory=list)  # the right meetings (note keys), None: unknown

    def questions_for(self, mode: str, questions: list[Question]) -> list[Question]:
        """The questions a mode's prompts are for, in order (right note: those that have one)."""
        return [q for q, r in zip(questions, self.right) if r is not None] if mode == RIGHT else list(questions)


def eval_index(models: list[str], notes: Path | None, closed_book: bool) -> NotesIndex | None:
    """`--notes` when given, else the first run among `models` that has an index; None: closed book only."""
    if closed_book or notes is not None:
        return index_for(None, notes, closed_book)
    for name in models:
        run = RunDir.find(name)
        if run is not None and run.has_index:
            return index_for(name, open_book=True)  # side by side, whichever way the run answers by default
    return None


def _names(note: dict) -> set[str]:
    key = note["key"]
    path = key.split("@")[0]
    return {key, path, Path(path).name, note["source"]}


def right_notes(question: Question, index: NotesIndex) -> set[str] | None:
    named = question.meta.get("note")
    if named is not None:
        wanted = [named] if isinstance(named, str) else named
        if not isinstance(wanted, list) or not all(isinstance(w, str) for w in wanted):
            raise LabtuneError(f"question {question.index}: field note: expected a note's file name or a list of them")
        found = {n["key"] for n in index.notes for w in wanted if w in _names(n)}
        if not found:
            raise LabtuneError(f"question {question.index}: field note: {named!r} names no note in the index "
                               f"({index.path or index.notes_dir})")
        return found
    mentions = find_dates(question.text, index.day_first)
    found = {c.note for c, d in zip(index.chunks, index.dates) if d and any(m.matches(d) for m in mentions)}
    return found or None


def book_prompts(questions: list[Question], index: NotesIndex, k: int) -> Books:
    opened, right_prompts, used, ranked, right = [], [], [], [], []
    for q in questions:
        hits = retrieve(q.prompt, index, k)
        opened.append(with_read_notes(q.prompt, hits, index))  # as open_book() asks it
        used.append([h.chunk.source for h in hits])
        ranked.append([h.chunk.note for h in search(index, q.text, 3)])
        keys = right_notes(q, index)
        right.append(keys)
        if keys:
            # The right note as open-book would read it: whole where the question names its date.
            on_date = date_matches(index, question_dates(q.prompt, index.day_first))
            named = {c.id for c, match in zip(index.chunks, on_date) if match}
            right_hits = [Hit(c, 0.0, c.id in named) for c in index.chunks_of(keys)]
            right_prompts.append(with_read_notes(q.prompt, right_hits, index))
    prompts = {OPEN: opened, RIGHT: right_prompts} if right_prompts else {OPEN: opened}
    return Books(index, k, prompts, used, ranked, right)


def retrieval_hits(books: Books, questions: list[Question]) -> dict:
    """hit@1 and hit@3 per kind and overall, over the questions whose right note is known."""
    by_kind: dict[str, list[tuple[bool, bool]]] = {}
    for q, ranked, right in zip(questions, books.ranked, books.right):
        if right is None:
            continue
        hit = (bool(ranked[:1]) and ranked[0] in right, any(r in right for r in ranked[:3]))
        by_kind.setdefault(q.kind or "overall", []).append(hit)
        if q.kind is not None:
            by_kind.setdefault("overall", []).append(hit)
    out: dict = {"hit@1": {}, "hit@3": {}, "questions": len(by_kind.get("overall", []))}
    for kind, hits in by_kind.items():
        out["hit@1"][kind] = sum(h[0] for h in hits) / len(hits)
        out["hit@3"][kind] = sum(h[1] for h in hits) / len(hits)
    return out
