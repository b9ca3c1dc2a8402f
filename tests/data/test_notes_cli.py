"""`labtune data import-notes` end to end through the CLI: writing, --explain, --json, and bad input."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from labtune.cli import app
from labtune.data.readers import read_file
from labtune.samples import LABNOTES, LABNOTES_MESSY

REPO = Path(__file__).resolve().parents[2]
NOTES = LABNOTES


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "labtune", "data", "import-notes", *args],
                          capture_output=True, text=True, cwd=REPO)


def test_import_notes_writes_readable_sharegpt_and_prints_a_summary(tmp_path):
    out = tmp_path / "notes.json"
    replay = REPO / "labtune" / "data" / "general" / "smollm2_replay.json"
    result = CliRunner().invoke(app, ["data", "import-notes", str(NOTES), "-o", str(out), "--seed", "1",
                                      "--mix", f"{replay}:0.5"])
    assert result.exit_code == 0, result.output
    records = json.loads(out.read_text())
    assert all(set(r) == {"id", "conversations"} for r in records)
    assert read_file(out).format == "sharegpt" and len(read_file(out).conversations) == len(records)
    n_mix = round(len(json.loads(replay.read_text())) * 0.5)
    assert re.search(rf"│ mix +│ +{n_mix} │", result.output)
    assert "read 13 meetings from 13 files" in result.output
    assert "│ Presenter │    13 │" in result.output
    again = tmp_path / "again.json"
    CliRunner().invoke(app, ["data", "import-notes", str(NOTES), "-o", str(again), "--seed", "1",
                             "--mix", f"{replay}:0.5"])
    assert again.read_bytes() == out.read_bytes()  # deterministic, the mix sample included


def test_explain_shows_each_meeting_its_date_source_roles_facts_and_the_skipped_files(tmp_path):
    result = CliRunner().invoke(app, ["data", "import-notes", str(LABNOTES_MESSY), "--explain"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "15 meeting(s) from 13 file(s), 1 file(s) skipped" in out
    assert "2024-01-09  (from email subject; year from the email's date)" in out
    assert "recorder   Lucía Nakamura  (email sign-off)" in out
    assert "topic      rhizosphere pH mapping  (email subject)" in out
    assert "2024-04-02  (from heading)" in out and "2024-04-09  (from heading; year from the folder path)" in out
    assert "action   Kenji books the gas chromatograph for the week of 6 May, by April 30  " \
           "(owner Kenji Marchetti; by April 30" in out
    assert "templates/meeting-template.md: no date" in out
    assert not list(tmp_path.iterdir())  # nothing written without -o


def test_json_is_the_whole_reading_for_scripts_and_only_json_on_stdout(tmp_path):
    out = tmp_path / "notes.json"
    result = run_cli(str(LABNOTES_MESSY), "--json", "-o", str(out))
    assert result.returncode == 0, result.stderr
    reading = json.loads(result.stdout)
    assert reading["summary"]["meetings"] == 15 and reading["summary"]["files_skipped"] == 1
    assert reading["skipped"] == [{"path": "templates/meeting-template.md",
                                   "reason": "no date (looked in the title, first lines, file and folder names)"}]
    email = next(n for n in reading["notes"] if n["path"] == "Re_ lab meeting minutes.txt")
    assert email["fields"]["Recorder"] == "Lucía Nakamura" and email["field_sources"]["Topic"] == "email subject"
    action = next(f for f in email["facts"] if f["owner"] == "Farid Engström")
    assert action["kind"] == "action" and action["deadline"] == "before the next meeting"
    assert out.exists() and "wrote" in result.stderr  # the summary goes to stderr beside --json


def test_a_folder_with_some_unusable_files_lists_each_with_its_reason(tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "ok.md").write_text("Lab meeting 4/1/2024\nPresenter: Ada Quill\nTopic: Soil fungi\n", encoding="utf-8")
    (notes / "latin1.txt").write_bytes("Réunion 3/1/2024\nPresenter: Zoé\n".encode("latin-1"))
    (notes / "binary.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    with open(notes / "huge.txt", "wb") as fh:
        fh.truncate(100 * 2**20)  # sparse: 100 MB on paper, nothing on disk
    (notes / "undated.md").write_text("Presenter: Bo Tran\n", encoding="utf-8")
    (notes / "slides.pptx").write_bytes(b"PK\x03\x04")
    (notes / "figure.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    result = CliRunner().invoke(app, ["data", "import-notes", str(notes), "-o", str(tmp_path / "o.json")])
    assert result.exit_code == 0, result.output
    assert "read 1 meetings from 1 files" in result.output
    for name, reason in [("latin1.txt", "not UTF-8 text"), ("binary.md", "binary file"), ("huge.txt", "too large"),
                         ("undated.md", "no date"), ("figure.png", "not a notes file (.png)"),
                         ("slides.pptx", "not a PowerPoint deck that can be read (BadZipFile)")]:
        # The console folds a long path anywhere, so spaces and line breaks are left out on both sides.
        assert "".join(f"skipped {notes / name}: {reason}".split()) in "".join(result.output.split()), name


@pytest.mark.parametrize("make, message", [
    (lambda d: None, "no notes found"),
    (lambda d: (d / "a.md").write_text("Presenter: Ada Quill\nTopic: Soil\n", encoding="utf-8"),
     "no usable notes; 1 file(s) skipped: 1 no date"),
    (lambda d: (d / "a.md").write_bytes(b"\x00\x01\x02binary"), "1 binary file, not text"),
    (lambda d: (d / "a.txt").write_bytes("Réunion 3/1/2024\n".encode("latin-1")), "1 not UTF-8 text"),
    (lambda d: open(d / "big.md", "wb").truncate(100 * 2**20), "1 too large"),
])
def test_nothing_usable_is_one_error_line_exit_2_and_nothing_written(tmp_path, make, message):
    notes = tmp_path / "notes"
    notes.mkdir()
    make(notes)
    result = run_cli(str(notes), "-o", str(tmp_path / "o.json"))
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("error: ") and message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o.json").exists()


def test_bad_arguments_are_one_line_and_exit_code_2(tmp_path):
    cases = [[str(tmp_path / "missing"), "-o", str(tmp_path / "o.json")],
             [str(NOTES)],  # neither -o nor --explain/--json
             [str(NOTES), "-o", str(tmp_path / "o.json"), "--mix", str(tmp_path / "nope.json")],
             [str(NOTES), "-o", str(tmp_path / "o.json"), "--recipe", "no-such-recipe"]]
    for args in cases:
        proc = run_cli(*args)
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.startswith("error: ") and "Traceback" not in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o.json").exists()
