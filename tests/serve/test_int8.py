"""int8 weights (`labtune.model.int8`): each linear layer stays close to its bfloat16 result on both paths
(the int8 kernel for a few rows, the expanded weight for more), and a whole model answers with them."""

from __future__ import annotations

import pytest
import torch

from labtune.model import int8

pytestmark = pytest.mark.skipif(not int8.available(), reason="this torch has no _weight_int8pack_mm")


def _relative_error(a: torch.Tensor, b: torch.Tensor) -> float:
    return ((a.float() - b.float()).norm() / b.float().norm()).item()


@pytest.mark.parametrize("rows", [1, int8.KERNEL_MAX_ROWS, int8.KERNEL_MAX_ROWS + 1, 64])
def test_an_int8_layer_gives_the_float_result_within_its_rounding(rows):
    torch.manual_seed(0)
    linear = torch.nn.Linear(64, 96, bias=True).to(torch.bfloat16)
    layer = int8.Int8Linear(linear)
    x = torch.randn(2, rows, 64, dtype=torch.bfloat16)
    with torch.inference_mode():
        out, want = layer(x), linear(x)
    assert out.shape == want.shape == (2, rows, 96) and out.dtype == torch.bfloat16
    assert layer.weight_int8.dtype == torch.int8 and layer.scales.shape == (96,)
    assert _relative_error(out, want) < 0.02  # int8 rounding of each row: under 1% typically
    # a row's largest weight is exactly 127 steps of its scale
    assert (layer.weight_int8.abs().amax(dim=1) == 127).all()


def test_both_paths_of_a_layer_agree():
    torch.manual_seed(1)
    layer = int8.Int8Linear(torch.nn.Linear(64, 32, bias=False).to(torch.bfloat16))
    x = torch.randn(int8.KERNEL_MAX_ROWS + 3, 64, dtype=torch.bfloat16)
    with torch.inference_mode():
        together = layer(x)  # the expanded weight
        one_by_one = torch.cat([layer(row[None]) for row in x])  # the int8 kernel
    assert _relative_error(one_by_one, together) < 0.01


def test_a_model_with_int8_weights_keeps_its_logits_and_answers(tiny_model_dir):
    from labtune.model.load import load
    from labtune.serve.generate import Engine, Sampling
    from labtune.data.conversation import Message

    reference = load(str(tiny_model_dir), dtype=torch.bfloat16)
    loaded = load(str(tiny_model_dir), dtype=torch.bfloat16)
    linears = sum(type(m) is torch.nn.Linear for m in loaded.model.modules())
    loaded.model = int8.quantize_int8(loaded.model)
    assert linears > 0 and not any(type(m) is torch.nn.Linear for m in loaded.model.modules())
    assert sum(type(m) is int8.Int8Linear for m in loaded.model.modules()) == linears
    ids = torch.tensor([[1, 42, 7, 99, 5]])
    with torch.inference_mode():
        want, got = reference.model(input_ids=ids).logits, loaded.model(input_ids=ids).logits
    assert _relative_error(got, want) < 0.05
    answer = Engine(loaded).chat([Message("user", "hi")], Sampling(temperature=0.0, max_new_tokens=6)).run()
    assert answer.finish_reason in ("stop", "length") and answer.completion_tokens >= 1
