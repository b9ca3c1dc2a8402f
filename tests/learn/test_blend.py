"""Blending toward the base: the smallest alpha whose held-out recall is the tuned model's own."""

from __future__ import annotations

import torch

from labtune.learn.blend import blend_toward_base


class RecallAbove:
    """A check that recalls everything once the weights' mean reaches `threshold`, half otherwise."""

    def __init__(self, threshold: float):
        self.threshold = threshold

    def score(self, model) -> float:
        return 1.0 if model.weight.mean().item() >= self.threshold - 1e-6 else 0.5


def tuned_and_base():
    model = torch.nn.Linear(3, 3, bias=False)
    with torch.no_grad():
        model.weight.fill_(1.0)
    return model, {"weight": torch.zeros(3, 3)}


def test_the_smallest_alpha_that_keeps_the_recall_is_chosen_and_set():
    model, base = tuned_and_base()
    blend = blend_toward_base(model, base, RecallAbove(0.65), [0.9, 0.5, 0.6, 0.7, 0.8])
    assert blend.alpha == 0.7 and blend.recall == {0.5: 0.5, 0.6: 0.5, 0.7: 1.0, 1.0: 1.0}
    assert torch.allclose(model.weight, torch.full((3, 3), 0.7))
    assert blend.to_dict() == {"alpha": 0.7, "recall": {"0.5": 0.5, "0.6": 0.5, "0.7": 1.0, "1": 1.0}}


def test_when_no_blend_keeps_the_recall_the_tuned_weights_stay_exactly():
    model, base = tuned_and_base()
    blend = blend_toward_base(model, base, RecallAbove(1.0), [0.5, 0.8])
    assert blend.alpha == 1.0 and torch.equal(model.weight, torch.ones(3, 3))
