"""A minute of mixed traffic (good, bad, streamed, abandoned) against a real `labtune serve` process:
no 500, and RSS, threads, open files and queue counters come back to their idle values."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from testpaths import REPO


@pytest.mark.slow  # ~90 s: 60 s of traffic on the tiny model, plus start-up and the idle checks
def test_a_minute_of_mixed_traffic_leaves_the_server_as_it_found_it(tiny_model_dir, tmp_path):
    out = tmp_path / "soak.json"
    cmd = [sys.executable, str(REPO / "benchmarks" / "serve_soak.py"), "--serve", str(tiny_model_dir),
           "--seconds", "60", "--clients", "6", "--json", str(out),
           "--server-args", "--max-batch 4 --max-waiting 4 --max-tokens 32 --max-prompt-tokens 400 --threads 1"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env={**os.environ})
    report = json.loads(out.read_text()) if out.exists() else {}
    assert done.returncode == 0, (done.stdout[-3000:], done.stderr[-3000:])
    assert report["problems"] == [] and report["requests"] > 100
    outcomes = report["outcomes"]
    assert not any(key.endswith(" 500") for key in outcomes)
    # every kind of request happened, the abandoned ones included
    for kind in ("chat 200", "stream 200", "stream-abandoned abandoned", "bad-json 400", "text-plain 415"):
        assert outcomes.get(kind, 0) > 0, outcomes
    assert report["totals"]["labtune_requests_cancelled_total"] > 0
