"""The lean training ops give transformers' numbers: same loss, same gradients, same trained weights."""

from __future__ import annotations

import copy

import pytest
import torch
import torch.nn.functional as F
from transformers import LlamaConfig, LlamaForCausalLM

from labtune.train.cpu import fused
from labtune.train.cpu.fused import SwiGLU, fused_loss_sum, linear_cross_entropy, use_fused_ops


def close(a: torch.Tensor, b: torch.Tensor, tol: float = 1e-5) -> bool:
    return bool((a - b).abs().max() <= tol * max(1.0, float(b.abs().max())))


@pytest.mark.parametrize("weight_trained", [True, False])
def test_linear_cross_entropy_matches_logits_then_cross_entropy(monkeypatch, weight_trained):
    monkeypatch.setattr(fused, "CHUNK_BYTES", 7 * 300 * 4)  # 16-row chunks (the minimum): 40 rows span 3
    torch.manual_seed(0)
    hidden = torch.randn(40, 24, requires_grad=True)
    weight = torch.randn(300, 24, requires_grad=weight_trained)
    targets = torch.randint(0, 300, (40,))
    ref_hidden, ref_weight = hidden.detach().clone().requires_grad_(), weight.detach().clone().requires_grad_()

    loss = linear_cross_entropy(hidden, weight, targets)
    (loss * 0.3).backward()
    ref = F.cross_entropy(ref_hidden @ ref_weight.T, targets, reduction="sum")
    (ref * 0.3).backward()

    assert close(loss.detach(), ref.detach())
    assert close(hidden.grad, ref_hidden.grad)
    assert weight.grad is None if not weight_trained else close(weight.grad, ref_weight.grad)
    with torch.no_grad():  # evaluation: the same number without building gradients
        assert close(linear_cross_entropy(hidden, weight, targets), ref.detach())


def test_the_head_gradient_is_kept_from_step_to_step_and_accumulates(monkeypatch):
    monkeypatch.setattr(fused, "CHUNK_BYTES", 7 * 300 * 4)
    torch.manual_seed(2)
    weight = torch.nn.Parameter(torch.randn(300, 24))
    kept = fused.KeptGradient()

    def reference(hidden, targets):
        ref_weight = weight.detach().clone().requires_grad_()
        (F.cross_entropy(hidden @ ref_weight.T, targets, reduction="sum") * 0.5).backward()
        return ref_weight.grad

    def micro_batch(rows):
        hidden, targets = torch.randn(rows, 24), torch.randint(0, 300, (rows,))
        (linear_cross_entropy(hidden, weight, targets, kept) * 0.5).backward()
        return reference(hidden, targets)

    expected = micro_batch(40)
    assert close(weight.grad, expected)
    first = weight.grad.data_ptr()
    assert first == kept.storage.data_ptr()  # autograd adopted it: no copy
    expected += micro_batch(33)  # accumulation: a fresh tensor, added into .grad
    assert close(weight.grad, expected) and weight.grad.data_ptr() == first
    weight.grad = None  # the optimizer's zero_grad(set_to_none=True)
    assert close(micro_batch(17), weight.grad) and weight.grad.data_ptr() == first  # written over, not added to
    weight.grad = None
    (linear_cross_entropy(torch.randn(0, 24), weight, torch.zeros(0, dtype=torch.long), kept) * 1.0).backward()
    assert weight.grad.data_ptr() == first and not weight.grad.any()  # no rows: zeros, not what was there


@pytest.mark.parametrize("frozen", [(), ("gate",), ("gate", "up", "down")])
def test_swiglu_matches_the_three_linear_layers(frozen):
    torch.manual_seed(1)
    x = torch.randn(2, 9, 16, requires_grad=True)
    weights = {name: torch.randn(*shape, requires_grad=name not in frozen)
               for name, shape in (("gate", (40, 16)), ("up", (40, 16)), ("down", (16, 40)))}
    ref_x = x.detach().clone().requires_grad_()
    ref_w = {k: w.detach().clone().requires_grad_(w.requires_grad) for k, w in weights.items()}
    grad_out = torch.randn(2, 9, 16)

    SwiGLU.apply(x, weights["gate"], weights["up"], weights["down"]).backward(grad_out)
    ref = F.linear(F.silu(F.linear(ref_x, ref_w["gate"])) * F.linear(ref_x, ref_w["up"]), ref_w["down"])
    ref.backward(grad_out)

    assert close(x.grad, ref_x.grad)
    for name in weights:
        if name in frozen:
            assert weights[name].grad is None
        else:
            assert close(weights[name].grad, ref_w[name].grad), name


@pytest.mark.parametrize("weight_trained", [True, False])
def test_rms_norm_matches_transformers(weight_trained):
    from transformers.models.llama.modeling_llama import LlamaRMSNorm

    torch.manual_seed(3)
    norm = LlamaRMSNorm(16, eps=1e-5)
    norm.weight.data = torch.randn(16)
    norm.weight.requires_grad_(weight_trained)
    lean = copy.deepcopy(norm)
    assert fused.is_plain_rms_norm(lean)
    lean.forward = fused._rms_norm_forward.__get__(lean)
    x = torch.randn(2, 9, 16, requires_grad=True)
    ref_x = x.detach().clone().requires_grad_()
    grad_out = torch.randn(2, 9, 16)

    out = lean(x)
    assert out.grad_fn.name().startswith("RMSNorm")  # the lean op, not the module's own path
    assert torch.equal(out, norm(ref_x))  # same ops in the same order
    out.backward(grad_out)
    norm(ref_x).backward(grad_out)
    assert close(x.grad, ref_x.grad)
    if weight_trained:
        assert close(lean.weight.grad, norm.weight.grad)
    else:
        assert lean.weight.grad is None


def tiny_llama(tied: bool) -> LlamaForCausalLM:
    torch.manual_seed(2)
    return LlamaForCausalLM(LlamaConfig(vocab_size=500, hidden_size=32, intermediate_size=80, num_hidden_layers=3,
                                        num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=tied))


@pytest.mark.parametrize("tied", [True, False])
def test_patched_model_gives_transformers_loss_and_gradients(tied):
    plain = tiny_llama(tied)
    lean = copy.deepcopy(plain)
    assert use_fused_ops(lean) == 3  # every decoder layer's MLP
    assert sum("forward" in vars(m) for m in lean.modules() if fused.is_plain_rms_norm(m)) == 7  # 2 a layer + final
    ids = torch.randint(0, 500, (1, 50))
    positions = torch.cat([torch.arange(20), torch.arange(30)])[None]  # two packed samples
    keep = torch.tensor([3, 4, 5, 17, 25, 40, 48])
    targets = torch.randint(0, 500, (7,))

    logits = plain(input_ids=ids, position_ids=positions, logits_to_keep=keep, use_cache=False).logits
    expected = F.cross_entropy(logits.view(-1, 500), targets, reduction="sum")
    (expected / 7).backward()
    loss = fused_loss_sum(lean, ids, positions, keep, targets)
    (loss / 7).backward()

    assert close(loss.detach(), expected.detach())
    for (name, a), (_, b) in zip(plain.named_parameters(), lean.named_parameters()):
        assert close(b.grad, a.grad, 1e-4), name


def test_models_outside_the_list_are_left_alone():
    class OtherForCausalLM(LlamaForCausalLM):  # e.g. a head with soft-capping: not known to be plain
        pass

    model = OtherForCausalLM(tiny_llama(True).config)
    assert use_fused_ops(model) == 0
    assert not getattr(model, "labtune_fused_loss", False)
