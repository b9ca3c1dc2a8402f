"""Stopping and resuming gives the run an uninterrupted one would have; a crashed save loses nothing."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import load_file

from labtune.train import checkpoint
from labtune.train.loop import train
from labtune.train.metrics import read_metrics


def _final_weights(out) -> dict[str, torch.Tensor]:
    path = out / "adapter" / "adapter_model.safetensors" if (out / "adapter").is_dir() else out / "model" / "model.safetensors"
    return load_file(path)


def _losses(out) -> list[tuple[int, float]]:
    return [(r["step"], r["loss"]) for r in read_metrics(out) if "loss" in r]


def _assert_same_run(a, b):
    wa, wb = _final_weights(a), _final_weights(b)
    assert wa.keys() == wb.keys()
    for name in wa:
        torch.testing.assert_close(wa[name], wb[name], atol=1e-6, rtol=0)
    la, lb = _losses(a), _losses(b)
    assert [s for s, _ in la] == [s for s, _ in lb] == list(range(1, len(la) + 1))
    assert [loss for _, loss in lb] == pytest.approx([loss for _, loss in la], abs=1e-6)


@pytest.mark.parametrize("lora", [False, True], ids=["full", "lora-with-dropout"])
def test_resume_gives_identical_weights_and_loss(make_cfg, tmp_path, lora):
    # LoRA dropout draws random numbers each step: identical results need the RNG state restored.
    extra = dict(lora=True, lora_dropout=0.2, lora_r=4) if lora else {}
    whole = train(make_cfg(output_dir=str(tmp_path / "whole"), **extra))
    parts = tmp_path / "parts"
    if lora:  # Ctrl-C after step 1: the interrupt handler saves the state of the last finished step
        def ctrl_c(row):
            if row["step"] == 1:
                raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            train(make_cfg(output_dir=str(parts), **extra), on_step=ctrl_c)
    else:
        train(make_cfg(output_dir=str(parts), **extra), stop_after_step=1)  # mid-epoch, before any save
    assert [p.name for p in checkpoint.list_checkpoints(parts)] == ["checkpoint-1"]
    assert not (parts / "labtune.json").exists()
    train(make_cfg(output_dir=str(parts), resume=True, **extra))
    _assert_same_run(whole, parts)
    assert (parts / "labtune.json").is_file() and (parts / "loss.png").is_file()


def test_interrupted_save_keeps_previous_checkpoint_and_resumes(make_cfg, tmp_path, monkeypatch):
    whole = train(make_cfg(output_dir=str(tmp_path / "whole")))
    out = tmp_path / "crash"
    real_save = torch.save
    calls = []

    def dying_save(obj, path, *a, **kw):  # the second checkpoint dies after its weights are written
        calls.append(path)
        if len(calls) == 2:
            raise OSError("disk full (simulated)")
        return real_save(obj, path, *a, **kw)

    monkeypatch.setattr(checkpoint.torch, "save", dying_save)
    with pytest.raises(OSError, match="simulated"):
        train(make_cfg(output_dir=str(out)))
    monkeypatch.setattr(checkpoint.torch, "save", real_save)
    assert (out / "checkpoint-4.tmp" / checkpoint.WEIGHTS).is_file()  # the half-written save is there...
    assert checkpoint.latest(out).name == "checkpoint-3"  # ...but it is not taken as a checkpoint
    train(make_cfg(output_dir=str(out)))  # re-running into the same dir resumes from step 3
    assert not (out / "checkpoint-4.tmp").exists()
    _assert_same_run(whole, out)


def test_save_total_limit_keeps_newest(make_cfg, tmp_path):
    out = train(make_cfg(output_dir=str(tmp_path / "r"), save_steps=1, save_total_limit=2))
    assert [p.name for p in checkpoint.list_checkpoints(out)] == ["checkpoint-3", "checkpoint-4"]
