"""Retrieval over a lab's notes, kept beside the tuned weights: an index of note chunks (date matching,
BM25, optional embeddings) and the open-book prompt built from it.

    build_index(notes_dir, RunDir(run).index_dir)       # build or update (labtune learn, labtune index)
    index = load_index(path)                            # a stored index; open_notes(): index or folder
    messages, sources = open_book(messages, index, k)   # notes in the last user turn, and their names
"""

from labtune.retrieval.chunks import Chunk, chunk_notes
from labtune.retrieval.index import BuildReport, NotesIndex
from labtune.retrieval.open_book import DEFAULT_K, dated_as_notes, open_book, retrieve
from labtune.retrieval.search import Hit, search
from labtune.retrieval.store import build_index, index_for, is_index, open_notes
from labtune.retrieval.store import load as load_index

__all__ = ["DEFAULT_K", "BuildReport", "Chunk", "Hit", "NotesIndex", "build_index", "chunk_notes", "dated_as_notes",
           "index_for", "is_index", "load_index", "open_book", "open_notes", "retrieve", "search"]
