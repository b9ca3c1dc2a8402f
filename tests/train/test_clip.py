"""Gradient clipping: the same numbers as torch's clip_grad_norm_, without touching gradients below the limit."""

from __future__ import annotations

import torch

from labtune.train.world import SingleProcess


def _model(scale: float) -> torch.nn.Module:
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(8, 8), torch.nn.Linear(8, 2))
    for p in model.parameters():
        p.grad = torch.randn_like(p) * scale
    return model


def test_clipping_matches_torch_above_the_limit_and_leaves_gradients_alone_below():
    for scale, limit in ((1.0, 0.5), (1e-3, 1.0)):
        ours, theirs = _model(scale), _model(scale)
        before = [p.grad.clone() for p in ours.parameters()]
        norm = SingleProcess().clip_grad_norm(ours, limit)
        expected = torch.nn.utils.clip_grad_norm_(list(theirs.parameters()), limit)
        assert norm == float(expected)
        assert all(torch.equal(a.grad, b.grad) for a, b in zip(ours.parameters(), theirs.parameters()))
        if norm < limit:
            assert all(torch.equal(a.grad, b) for a, b in zip(ours.parameters(), before))
        else:
            assert not torch.equal(next(ours.parameters()).grad, before[0])
