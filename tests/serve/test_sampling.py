"""Sampling settings at their edges: never NaN, never a crash, seeds of any 64-bit value."""

from __future__ import annotations

import pytest
import torch

from labtune.serve.sampling import RowSampler, Sampling


def logits(seed: int = 0):
    return torch.randn(1, 500, generator=torch.Generator().manual_seed(seed)) * 30


@pytest.mark.parametrize("temperature", [1e-300, 5e-324, 1e-6, 1e-5 * 0.999, float("nan")])
def test_a_vanishing_temperature_is_greedy(temperature):
    scores = logits()
    for penalty in (1.0, 1.3):
        sampler = RowSampler(Sampling(temperature=temperature, repetition_penalty=penalty), [1, 2, 3])
        picked = sampler.pick(scores)
        greedy = RowSampler(Sampling(temperature=0, repetition_penalty=penalty), [1, 2, 3]).pick(scores)
        assert picked == greedy


def test_a_small_temperature_samples_without_overflow():
    scores = logits()
    picks = {RowSampler(Sampling(temperature=2e-5, seed=s), []).pick(scores) for s in range(5)}
    assert picks == {int(scores.argmax())}  # at 2e-5 the best token has all the mass, no NaN on the way


@pytest.mark.parametrize("seed", [0, 2**63 - 1, 2**64 - 1, -1, -(2**63)])
def test_any_64_bit_seed_reproduces(seed):
    scores = logits(1) / 30
    first = [RowSampler(Sampling(temperature=1.0, seed=seed), []).pick(scores) for _ in range(3)]
    assert len(set(first)) == 1


def test_the_seed_drives_the_choice():
    scores = logits(2) / 30
    picks = {RowSampler(Sampling(temperature=1.0, seed=s), []).pick(scores) for s in range(20)}
    assert len(picks) > 3
