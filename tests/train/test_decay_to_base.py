"""`decay_to_base`: after each step the trained weights are pulled back toward the base model's."""

from __future__ import annotations

import torch
from safetensors.torch import load_file

from labtune.train.config import TrainConfig
from labtune.train.loop import train
from labtune.train.model import make_optimizer


def test_a_weight_with_no_gradient_moves_lr_times_rate_of_its_distance_back_to_where_it_started():
    layer = torch.nn.Linear(4, 3, bias=False)
    start = layer.weight.detach().clone()
    optimizer = make_optimizer(layer, TrainConfig(learning_rate=0.01, decay_to_base=5.0))
    with torch.no_grad():
        layer.weight.add_(1.0)  # as if earlier steps had moved it
    layer.weight.grad = torch.zeros_like(layer.weight)  # AdamW alone leaves it where it is
    optimizer.step()
    torch.testing.assert_close(layer.weight.detach(), start + 1.0 - 0.01 * 5.0 * 1.0)


def test_a_run_with_the_pull_ends_nearer_the_base_and_resumes_to_the_same_weights(make_cfg, tiny_model_dir,
                                                                                  tmp_path):
    base = load_file(str(tiny_model_dir / "model.safetensors"))

    def distance(out) -> float:
        tuned = load_file(str(out / "model" / "model.safetensors"))
        return sum(float((tuned[n].float() - base[n].float()).norm() ** 2) for n in base if n in tuned) ** 0.5

    free = train(make_cfg(output_dir=str(tmp_path / "free")))
    pulled = train(make_cfg(output_dir=str(tmp_path / "pulled"), decay_to_base=500.0))
    assert distance(pulled) < 0.6 * distance(free)

    # The pull's start is the base model, not the checkpoint a resumed run loads.
    split = make_cfg(output_dir=str(tmp_path / "split"), decay_to_base=500.0)
    train(split, stop_after_step=2)
    resumed = train(split)
    a = load_file(str(pulled / "model" / "model.safetensors"))
    b = load_file(str(resumed / "model" / "model.safetensors"))
    for name in a:
        torch.testing.assert_close(a[name], b[name], atol=1e-6, rtol=0)
