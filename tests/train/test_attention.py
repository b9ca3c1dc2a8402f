"""Per-sample packed attention gives what the masked sdpa path gives, and never leaks into saved models."""

from __future__ import annotations

import json

import torch
from transformers import AutoModelForCausalLM

from labtune.train.attention import NAME, sample_bounds, use_packed_attention
from labtune.train.batching import pack
from labtune.data.tokenize import Encoded


def packed_row(lengths: list[int], vocab: int, seed: int = 0):
    generator = torch.Generator().manual_seed(seed)
    samples = []
    for n in lengths:
        ids = torch.randint(5, vocab, (n,), generator=generator).tolist()
        samples.append(Encoded(input_ids=ids, labels=ids))
    return pack(samples)


def test_sample_bounds_from_restarting_positions():
    assert sample_bounds(torch.tensor([[0, 1, 2, 0, 1, 0, 1, 2, 3]])) == [0, 3, 5, 9]
    assert sample_bounds(torch.tensor([[0, 1, 2]])) == [0, 3]


def test_packed_attention_equals_sdpa_with_the_block_mask_in_loss_and_gradients(tiny_model_dir):
    row = packed_row([7, 1, 12, 5], vocab=200)
    results = []
    for implementation in ("sdpa", NAME):
        torch.manual_seed(0)
        model = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32)
        if implementation == NAME:
            assert use_packed_attention(model) == "sdpa"
        logits = model(input_ids=row.input_ids, position_ids=row.position_ids, use_cache=False).logits
        loss = torch.nn.functional.cross_entropy(logits[0, row.keep], row.targets)
        loss.backward()
        results.append((logits.detach(), {n: p.grad.clone() for n, p in model.named_parameters()}))
    (logits_a, grads_a), (logits_b, grads_b) = results
    assert torch.allclose(logits_a, logits_b, atol=1e-5)
    assert all(torch.allclose(grads_a[n], grads_b[n], atol=1e-5) for n in grads_a)


def test_no_attention_across_samples(tiny_model_dir):
    """Changing the first sample must not change the second sample's logits."""
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32)
    use_packed_attention(model)
    a, b = packed_row([6, 9], vocab=200, seed=1), packed_row([6, 9], vocab=200, seed=2)
    ids = torch.cat([b.input_ids[:, :6], a.input_ids[:, 6:]], dim=1)
    out_a = model(input_ids=a.input_ids, position_ids=a.position_ids).logits
    out_mixed = model(input_ids=ids, position_ids=a.position_ids).logits
    assert torch.allclose(out_a[:, 6:], out_mixed[:, 6:], atol=1e-6)
    assert not torch.allclose(out_a[:, :6], out_mixed[:, :6])


def test_trained_model_config_names_a_standard_attention(make_cfg):
    from labtune.train.loop import train

    out = train(make_cfg(max_steps=1))
    config = json.loads((out / "model" / "config.json").read_text())
    assert NAME not in json.dumps(config)
    AutoModelForCausalLM.from_pretrained(out / "model")  # plain transformers loads it
