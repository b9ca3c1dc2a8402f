"""Blending the tuned weights back toward the base model, as far as the held-out check allows.

theta = base + alpha (tuned - base), the smallest alpha of a grid whose held-out self-check recall
(teacher-forced, learn/check.py) is still the tuned model's own. Interpolating fine-tuned and base
weights keeps much of what tuning learned while giving back much of what it cost (WiSE-FT, Wortsman
et al. 2022); here the facts are what must be kept, so the held-out check picks alpha, and the
general perplexity is measured after (docs/learn.md has the trade-off on the sample folder).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from labtune.learn.check import TaughtAnswers


@dataclass
class Blend:
    alpha: float  # 1.0: the tuned weights as trained
    recall: dict[float, float]  # held-out recall per alpha tried

    def to_dict(self) -> dict:
        return {"alpha": self.alpha, "recall": {f"{a:g}": round(r, 4) for a, r in self.recall.items()}}


def blend_toward_base(model, base_state: dict[str, torch.Tensor], check: TaughtAnswers,
                      grid: list[float]) -> Blend:
    """Set `model`'s weights to the chosen blend (in place) and say which; `grid` is tried lowest first."""
    tuned = {name: tensor.detach().clone() for name, tensor in model.state_dict().items()}
    recall = {1.0: check.score(model)}
    chosen = 1.0
    for alpha in sorted(a for a in grid if 0 < a < 1):
        _load_blend(model, tuned, base_state, alpha)
        recall[alpha] = check.score(model)
        if recall[alpha] >= recall[1.0]:
            chosen = alpha
            break
    _load_blend(model, tuned, base_state, chosen)
    return Blend(chosen, dict(sorted(recall.items())))


def _load_blend(model, tuned: dict, base: dict, alpha: float) -> None:
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            start = base.get(name)
            if start is None or not tensor.is_floating_point() or start.shape != tensor.shape:
                continue  # a weight the base lacks keeps its tuned value
            tensor.copy_(start.to(tensor.dtype) + alpha * (tuned[name] - start.to(tensor.dtype)))
