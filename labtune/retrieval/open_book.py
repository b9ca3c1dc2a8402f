"""Open-book answering: the notes retrieved for the last question, placed in the prompt with
`labtune.data.context.with_notes` (the one format training uses too), and the question's dates written
as the notes' cards write them. Chat, serve and eval call this.
"""

from __future__ import annotations

from dataclasses import replace

from labtune.data.context import Passage, best_lines, with_notes
from labtune.data.conversation import Message
from labtune.retrieval import bm25
from labtune.retrieval.chunks import Chunk
from labtune.retrieval.dates import DateMention, find_dates, spell_as_meetings
from labtune.retrieval.index import NotesIndex
from labtune.retrieval.search import Hit, search

# Notes put in a prompt at most. A question naming a date gets that meeting's chunks only.
DEFAULT_K = 3
# A chunk scoring under this share of the best chunk's score stays out of the prompt: a small model
# reads one right note better than the same note beside weaker matches (docs/benchmarks.md, retrieval).
# Where the right note was not the best match (labnotes content questions), it scored 0.77 of it. With
# embeddings the share applies to the fused score, where a chunk that only one ranking finds scores
# about half of one both find: not measured.
MIN_SHARE_OF_BEST = 0.5


def question_dates(messages: list[Message], day_first: bool | None = None) -> list[DateMention]:
    """Dates of the last user turn; when it names none, those of the latest earlier user turn that does,
    so a follow-up ("and who took the notes?") stays on the meeting the conversation is about."""
    for message in reversed(messages):
        if message.role == "user":
            mentions = find_dates(message.content, day_first)
            if mentions:
                return mentions
    return []


def retrieve(messages: list[Message], index: NotesIndex, k: int = DEFAULT_K) -> list[Hit]:
    """The chunks to put before the last question: on the named date when there is one, else the best
    matches by words that score at least `MIN_SHARE_OF_BEST` of the best; none when nothing in the
    notes matches (the model answers closed-book)."""
    question = next((m.content for m in reversed(messages) if m.role == "user"), None)
    if question is None or k <= 0:
        return []
    hits = search(index, question, k, dates=question_dates(messages, index.day_first))
    if any(h.date_match for h in hits):
        return [h for h in hits if h.date_match]
    return [h for h in hits if h.score >= MIN_SHARE_OF_BEST * hits[0].score]


def reading(chunk: Chunk, question: str, whole: bool, stemmer: str | None = bm25.STEMMER) -> Passage:
    """What of `chunk` goes before `question`: all of it when `whole` (the question names its date), else
    its card and best lines (`labtune.data.context.best_lines`)."""
    return chunk.passage if whole else Passage(chunk.source, best_lines(chunk.text, question, stemmer))


def with_read_notes(messages: list[Message], hits: list[Hit], index: NotesIndex) -> list[Message]:
    """`messages` with their dates spelled as the notes' (`dated_as_notes`) and the hits' passages, each
    read as `reading` reads it, before the last question: the prompt open-book answers and eval build."""
    dated = dated_as_notes(messages, index)
    question = next((m.content for m in reversed(dated) if m.role == "user"), "")
    stemmer = index.settings.get("stemmer")
    return with_notes(dated, [reading(hit.chunk, question, hit.date_match, stemmer) for hit in hits])


def dated_as_notes(messages: list[Message], index: NotesIndex) -> list[Message]:
    """The user turns with each date that names one of the index's meetings spelled as its card spells
    it: the model then finds the question's date word for word in the note (docs/benchmarks.md)."""
    meetings = {day for day in index.dates if day}
    return [replace(m, content=spell_as_meetings(m.content, meetings, index.day_first)) if m.role == "user" else m
            for m in messages]


def open_book(messages: list[Message], index: NotesIndex | None, k: int = DEFAULT_K
              ) -> tuple[list[Message], list[str]]:
    """`messages` with the retrieved notes in the last user turn, and the notes' names (`Passage.source`).

    No index: the messages unchanged and no names; nothing retrieved: no notes and no names.
    """
    if index is None:
        return list(messages), []
    hits = retrieve(messages, index, k)
    return with_read_notes(messages, hits, index), [hit.chunk.source for hit in hits]
