"""The index on disk, as plain files: written whole to a temporary folder, then renamed into place.

```
index/
  index.json       format, version, the notes folder, settings, meetings (content hashes), chunks (text)
  bm25/            bm25s' own save format (vocabulary and sparse score matrix, .json + .npy)
  embeddings.npy   one unit vector per chunk, in chunk order (only when built with embeddings)
```
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import numpy as np

from labtune.errors import LabtuneError
from labtune.retrieval import bm25
from labtune.retrieval.chunks import Chunk
from labtune.retrieval.index import FORMAT, VERSION, BuildReport, NotesIndex, build

MANIFEST = "index.json"
BM25_DIR = "bm25"
EMBEDDINGS = "embeddings.npy"
REBUILD = "rebuild it with `labtune index NOTES_DIR -o DIR`"


def is_index(path: Path) -> bool:
    return (Path(path) / MANIFEST).is_file()


def save(index: NotesIndex, out_dir: Path) -> None:
    """Write the index to `out_dir`, replacing what is there only once the new one is complete."""
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_dir.with_name(f".{out_dir.name}.tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        tmp.mkdir()
        manifest = {"format": FORMAT, "version": VERSION, "notes_dir": index.notes_dir,
                    "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "settings": index.settings,
                    "notes": index.notes, "chunks": [c.to_dict() for c in index.chunks]}
        bm25.save(index.retriever, tmp / BM25_DIR)
        if index.embeddings is not None:
            np.save(tmp / EMBEDDINGS, index.embeddings)
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False), encoding="utf-8")
        old = out_dir.with_name(f".{out_dir.name}.old{os.getpid()}")
        if out_dir.exists():
            os.replace(out_dir, old)  # a directory cannot be renamed over a non-empty one
        os.replace(tmp, out_dir)
        shutil.rmtree(old, ignore_errors=True)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise LabtuneError(f"{out_dir}: cannot write the index ({exc.strerror or exc})") from None
    index.path = out_dir


def _manifest(path: Path) -> dict:
    file = path / MANIFEST
    if not file.is_file():
        raise LabtuneError(f"{path}: not a notes index (no {MANIFEST}); build one with "
                           "`labtune index NOTES_DIR -o DIR`")
    try:
        manifest = json.loads(file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise LabtuneError(f"{file}: corrupt index ({exc}); {REBUILD}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise LabtuneError(f"{file}: not a labtune notes index (field format); {REBUILD}")
    if manifest.get("version") != VERSION:
        raise LabtuneError(f"{file}: index version {manifest.get('version')!r}, this labtune reads {VERSION}; "
                           f"{REBUILD}")
    return manifest


def load(path: str | os.PathLike) -> NotesIndex:
    """The index stored at `path`; anything missing or inconsistent is one error naming file and field."""
    path = Path(path)
    manifest = _manifest(path)
    file = path / MANIFEST
    try:
        chunks = [Chunk(**c) for c in manifest["chunks"]]
        notes, settings = list(manifest["notes"]), dict(manifest["settings"])
        for i, note in enumerate(notes):
            missing = {"key", "source", "hash", "chunks"} - set(note)
            if missing:
                raise LabtuneError(f"{file}: record {i} of notes, field {sorted(missing)[0]} missing; {REBUILD}")
    except (KeyError, TypeError) as exc:
        raise LabtuneError(f"{file}: corrupt index (field {exc}); {REBUILD}") from None
    try:
        retriever = bm25.load(path / BM25_DIR)
    except Exception as exc:  # bm25s raises whatever numpy/json raise on a damaged file
        raise LabtuneError(f"{path / BM25_DIR}: unreadable BM25 index ({type(exc).__name__}); {REBUILD}") from None
    if int(retriever.scores.get("num_docs", -1)) != len(chunks):
        raise LabtuneError(f"{path / BM25_DIR}: {retriever.scores.get('num_docs')} documents for {len(chunks)} "
                           f"chunks in {MANIFEST}; {REBUILD}")
    embeddings = None
    if settings.get("embedding"):
        try:
            embeddings = np.load(path / EMBEDDINGS, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise LabtuneError(f"{path / EMBEDDINGS}: unreadable ({exc}); {REBUILD}") from None
        if embeddings.ndim != 2 or embeddings.shape[0] != len(chunks):
            raise LabtuneError(f"{path / EMBEDDINGS}: shape {embeddings.shape} for {len(chunks)} chunks; {REBUILD}")
    return NotesIndex(manifest.get("notes_dir", ""), notes, chunks, settings, retriever, embeddings, path)


def build_index(notes_dir: str | os.PathLike, out_dir: str | os.PathLike, embedding: bool | None = None,
                log=None) -> BuildReport:
    """Index `notes_dir` into `out_dir`, updating the index already there (only changed meetings are
    chunked again). A previous index that cannot be read is replaced. `labtune learn` calls this."""
    out_dir = Path(out_dir)
    previous = None
    if is_index(out_dir):
        try:
            previous = load(out_dir)
        except LabtuneError as exc:
            if log:
                log(f"previous index unusable, building afresh: {exc}")
    report = build(Path(notes_dir), previous, embedding)
    save(report.index, out_dir)
    return report


def open_notes(path: str | os.PathLike) -> NotesIndex:
    """`--notes PATH`: a stored index, or a notes folder indexed in memory (no files written)."""
    path = Path(path)
    if is_index(path):
        return load(path)
    if not path.is_dir():
        raise LabtuneError(f"{path}: not a notes folder or index")
    return build(path).index


def index_for(run_or_model: str | os.PathLike | None, notes: str | os.PathLike | None = None,
              closed_book: bool = False, open_book: bool = False) -> NotesIndex | None:
    """The index a command answers with: `--notes` when given, else the run's own, else none.

    `closed_book` turns retrieval off (and refuses `--notes` alongside it). A run that `labtune learn`
    measured answering its held-out self-check better from its weights than with its notes answers
    closed-book unless `open_book` asks for its index.
    """
    from labtune.model.run_dir import RunDir

    if closed_book:
        if notes is not None or open_book:
            raise LabtuneError(f"{'--notes' if notes is not None else '--open-book'} and --closed-book "
                               "contradict each other: give one")
        return None
    if notes is not None:
        return open_notes(notes)
    run = RunDir.find(run_or_model) if run_or_model is not None else None
    if run is None or not run.has_index:
        if open_book:
            raise LabtuneError(f"{run_or_model}: --open-book needs a run with a notes index, or --notes DIR")
        return None
    if not open_book and run.answering.get("mode") == "closed-book":
        return None
    return load(run.index_dir)
