"""The index on disk: round trip, updates that only redo changed meetings, and refusals of bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from labtune.errors import LabtuneError
from labtune.retrieval import build_index, load_index, open_notes, search
from labtune.retrieval import chunks as chunks_module
from labtune.retrieval.store import BM25_DIR, MANIFEST
from retrieval_helpers import long_meeting
from testpaths import REPO

QUESTION = "Who is the presenter of the 4/14/2023 lab meeting?"


def test_index_files_round_trip(lab_notes, tmp_path):
    out = tmp_path / "index"
    built = build_index(lab_notes, out).index
    loaded = load_index(out)
    assert loaded.chunks == built.chunks and loaded.notes == built.notes and loaded.settings == built.settings
    for question in (QUESTION, "How much memory did the biggest metagenome sample need?"):
        assert search(loaded, question) == search(built, question)
    assert sorted(p.name for p in out.iterdir()) == [BM25_DIR, MANIFEST]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".index")]  # no temporary left behind
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["notes_dir"] == str(lab_notes.resolve()) and len(manifest["chunks"]) == 13


def test_a_changed_folder_updates_only_what_changed(lab_notes, tmp_path, monkeypatch):
    out = tmp_path / "index"
    first = build_index(lab_notes, out)
    assert (first.added, first.changed, first.unchanged) == (13, 0, 0)

    april = lab_notes / "2023-spring" / "2023-04-14.md"
    april.write_text(april.read_text().replace("Hana Kowalczyk", "Grace Hopper"))
    (lab_notes / "2023-summer" / "2023-05-05.md").unlink()
    (lab_notes / "2023-07-07.md").write_text(long_meeting(items=60))
    chunked = []
    real = chunks_module.chunk_meeting
    monkeypatch.setattr("labtune.retrieval.index.chunk_meeting", lambda m: chunked.append(m.key) or real(m))

    second = build_index(lab_notes, out)
    assert (second.added, second.changed, second.removed, second.unchanged) == (1, 1, 1, 11)
    assert sorted(chunked) == ["2023-07-07.md", "2023-spring/2023-04-14.md"]  # only these were re-chunked
    index = load_index(out)
    (hit,) = search(index, QUESTION, k=1)
    assert "Grace Hopper" in hit.chunk.text
    assert not any(c.date == "2023-05-05" for c in index.chunks)
    assert search(index, "core length colour band survey", k=1)[0].chunk.note == "2023-07-07.md"

    third = build_index(lab_notes, out)
    assert (third.added, third.changed, third.removed) == (0, 0, 0)


def test_a_note_whose_card_changes_with_another_note_is_chunked_again(tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "2023-03-07.md").write_text("Lab meeting on 3/7/2023\n\nPresenter: Hana\nRecorder: Ravi\nTopic: lake ice\n")
    build_index(notes, tmp_path / "index")
    # A new note writes both names out in full: the first note's card now says who Hana and Ravi are.
    (notes / "2023-03-14.md").write_text("Lab meeting on 3/14/2023\n\nPresenter: Ravi Shah\n"
                                         "Recorder: Hana Kowalczyk\nTopic: ice cores\n")
    second = build_index(notes, tmp_path / "index")
    assert (second.added, second.changed, second.unchanged) == (1, 1, 0)
    march7 = next(c for c in load_index(tmp_path / "index").chunks if c.date == "2023-03-07")
    assert march7.text.startswith("The lab meeting on March 7, 2023 was about lake ice; the presenter was "
                                  "Hana Kowalczyk and the recorder was Ravi Shah.\n\nLab meeting on 3/7/2023")


def fake_embed(texts: list[str]) -> np.ndarray:
    """A stand-in for MiniLM: one dimension for genome words, one for nitrogen, one shared by all."""
    rows = np.array([[any(w in t.lower() for w in ("metagenome", "bioinformatics")), "nitrogen" in t.lower(), 0.1]
                     for t in texts], dtype=np.float32).reshape(len(texts), 3)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_embeddings_are_fused_and_only_new_chunks_are_embedded(lab_notes, tmp_path, monkeypatch):
    """The fusion and reuse logic with a stand-in embedder (the model package is optional)."""
    embedded: list[str] = []
    monkeypatch.setattr("labtune.retrieval.embed.embed", lambda texts: embedded.extend(texts) or fake_embed(texts))
    out = tmp_path / "index"
    build_index(lab_notes, out, embedding=True)
    assert len(embedded) == 13
    index = load_index(out)
    assert index.embeddings.shape == (13, 3) and index.settings["embedding"]
    assert search(index, QUESTION, k=1)[0].chunk.date == "2023-04-14"
    # no word of this question is in the notes: only the embedding finds the meeting
    assert search(build_index(lab_notes, tmp_path / "plain", embedding=False).index, "bioinformatics?") == []
    (hit,) = search(index, "bioinformatics?", k=3)
    assert hit.chunk.date == "2023-05-12"

    embedded.clear()
    april = lab_notes / "2023-spring" / "2023-04-14.md"
    april.write_text(april.read_text() + "\nExtra line.\n")
    build_index(lab_notes, out)  # the embedding choice is kept from the existing index
    assert len(embedded) == 1 and "Extra line." in embedded[0]


@pytest.mark.parametrize("damage", ["manifest-json", "manifest-field", "bm25-missing", "bm25-count", "version"])
def test_a_corrupt_index_is_one_clear_error(lab_notes, tmp_path, damage):
    out = tmp_path / "index"
    build_index(lab_notes, out)
    manifest = json.loads((out / MANIFEST).read_text())
    if damage == "manifest-json":
        (out / MANIFEST).write_text("{not json")
    elif damage == "manifest-field":
        del manifest["chunks"][0]["text"]
        (out / MANIFEST).write_text(json.dumps(manifest))
    elif damage == "bm25-missing":
        (out / BM25_DIR / "data.csc.index.npy").unlink()
    elif damage == "bm25-count":
        manifest["chunks"] = manifest["chunks"][:5]
        (out / MANIFEST).write_text(json.dumps(manifest))
    else:
        manifest["version"] = 99
        (out / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(LabtuneError, match="rebuild it with `labtune index"):
        load_index(out)
    # building again over a damaged index replaces it
    build_index(lab_notes, out)
    assert len(load_index(out).chunks) == 13


def test_an_empty_or_undated_folder_is_refused(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(LabtuneError, match="no notes found"):
        build_index(empty, tmp_path / "index")
    undated = tmp_path / "undated"
    undated.mkdir()
    (undated / "ideas.md").write_text("Some ideas without any date.\n")
    with pytest.raises(LabtuneError, match="no usable notes; 1 file.s. skipped: 1 no date"):
        build_index(undated, tmp_path / "index")
    assert not (tmp_path / "index").exists()


def test_notes_given_as_a_folder_are_indexed_in_memory(lab_notes):
    index = open_notes(lab_notes)
    assert index.path is None and len(index.chunks) == 13
    assert not any(p.name.startswith("index") for p in lab_notes.iterdir())


def _labtune(*args, cwd):
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run([sys.executable, "-m", "labtune", *args], capture_output=True, text=True, env=env, cwd=cwd)


def test_index_command_builds_into_a_run_and_refuses_bad_input(lab_notes, tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "labtune.json").write_text(json.dumps({"template": "tokenizer", "base_model": "smollm2-135m"}))
    done = _labtune("index", str(lab_notes), "-o", str(run), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "13 meetings, 13 chunks (13 added" in done.stdout
    assert (run / "index" / MANIFEST).is_file()

    empty = tmp_path / "empty"
    empty.mkdir()
    bad = _labtune("index", str(empty), "-o", str(tmp_path / "x"), cwd=tmp_path)
    assert bad.returncode == 2 and bad.stderr.startswith("error:") and len(bad.stderr.strip().splitlines()) == 1
    (run / "index" / MANIFEST).write_text("{")
    corrupt = _labtune("chat", str(run), "--prompt", "hi", cwd=tmp_path)
    assert corrupt.returncode == 2 and "corrupt index" in corrupt.stderr
    assert len(corrupt.stderr.strip().splitlines()) == 1 and "Traceback" not in corrupt.stderr
