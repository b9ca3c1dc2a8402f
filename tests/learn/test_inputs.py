"""Bad input to `labtune learn`: one `error:` line, exit code 2, nothing written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from labtune.errors import LabtuneError
from labtune.learn import learn
from labtune.learn.inputs import check_output, read_folder

DATED = "Lab meeting on 4/14/2023\n\nPresenter: Hana Kowalczyk\n"


def folder(tmp_path: Path, files: dict) -> Path:
    root = tmp_path / "notes"
    root.mkdir(parents=True)
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return root


@pytest.mark.parametrize("files, message", [
    ({}, "no notes found"),
    ({"figure.png": b"\x89PNG\r\n\x1a\n"}, r"no usable notes.*1 not a notes file"),
    ({"a.md": "   \n"}, r"no usable notes.*1 empty file"),
    ({"a.md": "Group meeting\n\nPresenter: Hana\n", "b.txt": "Ideas for the retreat\n"}, r"no usable notes.*2 no date"),
    ({"sub/scan.md": b"\x89PNG\r\n\x1a\n\x00\x00"}, r"no usable notes.*1 binary file"),
    ({"old.txt": "R\xe9union du 4/21/2023".encode("latin-1")}, r"no usable notes.*1 not UTF-8 text"),
])
def test_a_folder_with_no_dated_note_is_refused_saying_why(tmp_path, files, message):
    with pytest.raises(LabtuneError, match=message):
        read_folder(folder(tmp_path, files))


def test_files_that_cannot_be_notes_are_skipped_with_the_reason(tmp_path):
    root = folder(tmp_path, {"ok.md": DATED, "sub/scan.md": b"\x89PNG\r\n\x1a\n\x00\x00",
                             "old.txt": "R\xe9union du 4/21/2023".encode("latin-1"), "ideas.md": "Retreat ideas\n"})
    read = read_folder(root)
    assert [n.path.name for n in read.notes] == ["ok.md"]
    reasons = {path.name: why for path, why in read.skipped}
    assert reasons["scan.md"] == "binary file, not text" and reasons["old.txt"].startswith("not UTF-8 text")
    assert "no date" in reasons["ideas.md"]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_notes_saved_as_unicode_on_windows_are_read_as_their_utf8_copy(tmp_path, encoding):
    # "utf-16" and "utf-32" write a little-endian byte order mark; "utf-16-be" none, so it gets one here.
    text = "Réunion du 4/14/2023\n\nPresenter: Zoé Kowalczyk\nTopic: Soil fungi\n"
    data = text.encode(encoding) if encoding != "utf-16-be" else b"\xfe\xff" + text.encode(encoding)
    marked = read_folder(folder(tmp_path / "marked", {"a.txt": data}))
    plain = read_folder(folder(tmp_path / "plain", {"a.txt": text}))
    assert [(n.date, n.fields) for n in marked.notes] == [(n.date, n.fields) for n in plain.notes]
    assert marked.notes[0].fields["Presenter"] == "Zoé Kowalczyk"


def test_a_binary_file_that_starts_like_utf16_is_still_binary(tmp_path):
    root = folder(tmp_path, {"ok.md": DATED, "scan.md": b"\xff\xfe" + b"\x01\x00\x00\x00" * 8})
    assert dict((p.name, why) for p, why in read_folder(root).skipped) == {"scan.md": "binary file, not text"}


def test_an_unreadable_note_is_skipped_and_a_folder_of_them_refused(tmp_path, monkeypatch):
    root = folder(tmp_path, {"ok.md": DATED})
    real = Path.read_bytes

    def denied(self):
        if self.name == "ok.md":
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", denied)
    monkeypatch.setattr(Path, "read_text", lambda self, **kw: (_ for _ in ()).throw(
        PermissionError(13, "Permission denied", str(self))))
    with pytest.raises(LabtuneError, match=r"no usable notes.*1 unreadable"):
        read_folder(root)


def test_nothing_is_written_for_bad_input(tmp_path):
    out = tmp_path / "run"
    with pytest.raises(LabtuneError):
        learn(folder(tmp_path, {"a.md": "no date here\n"}), out)
    assert not out.exists()
    with pytest.raises(LabtuneError, match="questions.jsonl: file not found"):
        learn(tmp_path / "notes", out, questions_file=tmp_path / "questions.jsonl")
    assert not out.exists()


def test_an_output_dir_holding_something_else_is_refused(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("x")
    with pytest.raises(LabtuneError, match="holds something other than a labtune run"):
        check_output(tmp_path / "mine")
    check_output(tmp_path / "new")  # a new directory is fine


def test_the_command_prints_one_error_line_and_exits_2(tmp_path):
    empty = folder(tmp_path, {})
    proc = subprocess.run([sys.executable, "-m", "labtune", "learn", str(empty), "-o", str(tmp_path / "run")],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ") and str(empty) in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and not (tmp_path / "run").exists()
