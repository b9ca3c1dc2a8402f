"""`labtune data import-notes` end to end through the CLI."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from labtune.cli import app
from labtune.data.readers import read_file
from labtune.samples import LABNOTES

REPO = Path(__file__).resolve().parents[2]
NOTES = LABNOTES


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
    assert "read 13 notes (13 with a date)" in result.output
    assert "│ Presenter │    13 │" in result.output
    again = tmp_path / "again.json"
    CliRunner().invoke(app, ["data", "import-notes", str(NOTES), "-o", str(again), "--seed", "1",
                             "--mix", f"{replay}:0.5"])
    assert again.read_bytes() == out.read_bytes()  # deterministic, the mix sample included


def test_bad_input_is_one_line_and_exit_code_2(tmp_path):
    cases = [[str(tmp_path / "missing"), "-o", str(tmp_path / "o.json")],
             [str(tmp_path), "-o", str(tmp_path / "o.json")],  # no notes in it
             [str(NOTES), "-o", str(tmp_path / "o.json"), "--mix", str(tmp_path / "nope.json")],
             [str(NOTES), "-o", str(tmp_path / "o.json"), "--recipe", "no-such-recipe"]]
    for args in cases:
        proc = subprocess.run([sys.executable, "-m", "labtune", "data", "import-notes", *args],
                              capture_output=True, text=True, cwd=REPO)
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.startswith("error: ") and "Traceback" not in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o.json").exists()
