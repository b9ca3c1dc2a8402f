"""Words as retrieval compares them: English stop words left out, Snowball stems (PyStemmer) so that
"presented" meets "Presenter", by `bm25s`' own tokenizer. One owner for BM25's ranking of notes
(`labtune.retrieval.bm25`) and for choosing a note's lines for a question (`labtune.data.context`)."""

from __future__ import annotations

STEMMER = "english"


def _stemmer(language: str | None):
    if not language:
        return None
    import Stemmer

    return Stemmer.Stemmer(language)


def tokenize(texts: list[str], stemmer: str | None = STEMMER) -> list[list[str]]:
    import bm25s

    return bm25s.tokenize(texts, stopwords="en", stemmer=_stemmer(stemmer), return_ids=False,
                          show_progress=False)
