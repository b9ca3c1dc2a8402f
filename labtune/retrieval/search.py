"""Rank chunks for a question: meetings on a date the question names come first (in whatever spelling
it uses; a date without a year matches that day in any year), then BM25, optionally fused with
embedding similarity by reciprocal rank fusion (Cormack et al. 2009, k=60).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from labtune.retrieval import bm25
from labtune.retrieval.chunks import Chunk
from labtune.retrieval.dates import DateMention, find_dates
from labtune.retrieval.index import NotesIndex

RRF_K = 60
# Below this cosine an embedding neighbour is not evidence on its own (all-MiniLM puts unrelated
# sentences around 0-0.2).
MIN_SIMILARITY = 0.3


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    score: float  # BM25, or the fused score with embeddings
    date_match: bool  # the chunk's meeting is on a date the question names


def date_matches(index: NotesIndex, mentions: list[DateMention]) -> np.ndarray:
    return np.array([d is not None and any(m.matches(d) for m in mentions) for d in index.dates], dtype=bool)


def _ranks(values: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """1-based rank of each kept entry by value (descending); inf for the rest."""
    ranks = np.full(len(values), np.inf)
    kept = np.flatnonzero(keep)
    order = kept[np.argsort(-values[kept], kind="stable")]
    ranks[order] = np.arange(1, len(order) + 1)
    return ranks


def relevance(index: NotesIndex, query: str) -> tuple[np.ndarray, np.ndarray]:
    """Per chunk: a score and whether it is evidence at all (some query word, or a close embedding)."""
    lexical = bm25.scores(index.retriever, query, len(index.chunks), index.settings.get("stemmer"))
    found = lexical > 0
    if index.embeddings is None or not len(index.chunks):
        return lexical, found
    from labtune.retrieval.embed import embed

    similarity = index.embeddings @ embed([query])[0]
    close = similarity >= MIN_SIMILARITY
    fused = 1 / (RRF_K + _ranks(lexical, found)) + 1 / (RRF_K + _ranks(similarity, close))
    return fused, found | close


def search(index: NotesIndex, query: str, k: int = 3, dates: list[DateMention] | None = None) -> list[Hit]:
    """The k best chunks: those on a named date first, then by score; chunks with no evidence are left out.

    `dates`: the date mentions to match (default: those in `query`).
    """
    mentions = find_dates(query, index.day_first) if dates is None else dates
    on_date = date_matches(index, mentions) if mentions else np.zeros(len(index.chunks), dtype=bool)
    score, evidence = relevance(index, query)
    candidates = np.flatnonzero(on_date | evidence)
    # Date-matched chunks first; within each group the higher score first, ties in folder order.
    order = sorted(candidates, key=lambda i: (not on_date[i], -score[i], i))
    return [Hit(index.chunks[i], float(score[i]), bool(on_date[i])) for i in order[:k]]
