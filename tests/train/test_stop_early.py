"""`train(..., stop_early=...)`: a run ended by its callback is saved as finished, with fewer steps."""

from __future__ import annotations

import json

import torch


def test_stop_early_ends_the_run_there_and_saves_it_as_finished(make_cfg):
    from labtune.train.loop import train

    seen = []

    def stop(model, row):
        seen.append((row["step"], isinstance(model, torch.nn.Module)))
        return row["step"] == 2

    out = train(make_cfg(save_steps=10**6), stop_early=stop)
    record = json.loads((out / "run.json").read_text())
    assert record["steps"] == 2 < record["planned_steps"] and record["stopped_early"] is True
    assert seen == [(1, True), (2, True)]
    assert (out / "labtune.json").is_file() and (out / "model" / "model.safetensors").is_file()


def test_a_run_not_stopped_says_so(make_cfg):
    from labtune.train.loop import train

    out = train(make_cfg(), stop_early=lambda model, row: False)
    record = json.loads((out / "run.json").read_text())
    assert record["steps"] == record["planned_steps"] and record["stopped_early"] is False
