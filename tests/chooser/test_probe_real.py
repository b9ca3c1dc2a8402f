"""`labtune models` on the default model: its estimate against a real training run (slow)."""

from __future__ import annotations

import json
import statistics
from dataclasses import asdict

import pytest

from testpaths import SHARED_DATA


@pytest.mark.slow
def test_the_probe_is_within_30_percent_of_a_real_training_step(default_model_dir, tmp_path, monkeypatch):
    """The probe as `labtune models` runs it (1 + 3 steps, batch 4 of ~130-token synthetic chats) before
    and after a run as `labtune train` makes it (batch 4 of the peer's ~80-token chats, 1 + 8 steps), all
    in fresh processes; the probe's mean time per 1k tokens within 30% of the run's. ~2-3 min on an idle
    2-core CPU."""
    from labtune.chooser import probe as probe_module
    from labtune.chooser.probe import ProbeSettings, measure, probe_training, write_probe_data
    from labtune.train.bench import in_fresh_process

    monkeypatch.setattr(probe_module, "_cache_path", lambda: tmp_path / "probes.json")

    data = SHARED_DATA / "dummy_conversation.json"
    if not data.is_file():  # without the peer data: chats of another length than the probe's
        data = tmp_path / "chats.json"
        write_probe_data(data, ProbeSettings(batch=4, words=80, warmup_steps=1, timed_steps=8))
    before = measure(default_model_dir, "full", "test", refresh=True)  # what `labtune models` shows
    run = in_fresh_process(probe_training, {"model_dir": str(default_model_dir), "mode": "full", "data": str(data),
                                            "settings": asdict(ProbeSettings(batch=4, timed_steps=8))})
    after = measure(default_model_dir, "full", "test", refresh=True)
    assert "error" not in run, run
    estimate = statistics.mean([before.seconds_per_1k_tokens, after.seconds_per_1k_tokens])
    ratio = estimate / run["seconds_per_1k_tokens"]
    assert 0.7 <= ratio <= 1.3, json.dumps({"probe": [before.seconds_per_1k_tokens, after.seconds_per_1k_tokens],
                                            "run": run})
    assert before.source == "measured" and before.memory_gb > 1
