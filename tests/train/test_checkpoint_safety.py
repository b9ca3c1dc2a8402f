"""Resuming reads tensors and plain data only: a checkpoint cannot run code on the machine that loads it."""

from __future__ import annotations

import json

import pytest
import torch

from labtune.errors import LabtuneError
from labtune.train import checkpoint


class RunsCode:
    def __reduce__(self):  # what a hostile pickle does: call something on load
        return (exec, ("open('PWNED', 'w').write('ran')",))


def test_resume_refuses_a_checkpoint_whose_state_would_run_code(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ckpt = tmp_path / "checkpoint-1"
    ckpt.mkdir()
    model = torch.nn.Linear(2, 2)
    from safetensors.torch import save_file

    save_file(checkpoint.trainable_state(model), ckpt / checkpoint.WEIGHTS)
    torch.save({"optimizer": {"state": {}, "param_groups": []}, "scheduler": {}, "rng": RunsCode()},
               ckpt / "optimizer.pt")
    (ckpt / checkpoint.STATE).write_text(json.dumps({"step": 1}))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0)
    with pytest.raises(LabtuneError, match="optimizer.pt: holds objects other than tensors"):
        checkpoint.load(ckpt, model, optimizer, scheduler)
    assert not (tmp_path / "PWNED").exists()
