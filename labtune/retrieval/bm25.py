"""BM25 over chunk texts with `bm25s` (sparse matrices, its own save format), English stop words
removed and words stemmed (Snowball, PyStemmer) so "presented" finds "Presenter"
(`labtune.data.words`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from labtune.data.words import STEMMER, tokenize

__all__ = ["STEMMER", "build", "load", "save", "scores", "tokenize"]


def build(texts: list[str], stemmer: str | None = STEMMER):
    """A `bm25s.BM25` over the texts (lucene BM25, k1=1.5, b=0.75: bm25s' defaults)."""
    import bm25s

    retriever = bm25s.BM25()
    retriever.index(tokenize(texts, stemmer), show_progress=False)
    return retriever


def scores(retriever, query: str, n_docs: int, stemmer: str | None = STEMMER) -> np.ndarray:
    """One score per chunk; all zero when no query word is in the notes."""
    tokens = [t for t in tokenize([query], stemmer)[0] if t in retriever.vocab_dict]
    if not tokens:
        return np.zeros(n_docs, dtype=np.float32)
    return np.asarray(retriever.get_scores(tokens), dtype=np.float32)


def save(retriever, folder: Path) -> None:
    retriever.save(str(folder), show_progress=False)


def load(folder: Path):
    import bm25s

    return bm25s.BM25.load(str(folder), show_progress=False, verbosity=0)
