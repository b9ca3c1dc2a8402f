"""Padding-free packing: no attention across samples, targets never cross a sample boundary."""

from __future__ import annotations

import pytest
import torch

from labtune.data.tokenize import IGNORE_INDEX, Encoded
from labtune.model.load import load_model
from labtune.train.batching import accumulation_windows, epoch_order, pack, rank_micro_batches
from labtune.train.loop import backward_window
from labtune.train.world import SingleProcess


def _sample(ids: list[int], trainable_from: int) -> Encoded:
    return Encoded(ids, [IGNORE_INDEX] * trainable_from + ids[trainable_from:])


@pytest.fixture(scope="module")
def tiny(tiny_model_dir):
    model = load_model(tiny_model_dir)
    model.config.use_cache = False
    return model


def _samples(seed: int, lengths=(7, 12, 5, 9)) -> list[Encoded]:
    g = torch.Generator().manual_seed(seed)
    return [_sample(torch.randint(10, 1000, (n,), generator=g).tolist(), n // 2) for n in lengths]


def test_packed_logits_equal_per_sample_logits(tiny):
    samples = _samples(0)
    batch = pack(samples)
    assert batch.position_ids[0].tolist() == [p for s in samples for p in range(len(s.input_ids))]
    with torch.no_grad():
        packed = tiny(input_ids=batch.input_ids, position_ids=batch.position_ids, use_cache=False).logits[0]
        start = 0
        for sample in samples:
            alone = tiny(input_ids=torch.tensor([sample.input_ids]), use_cache=False).logits[0]
            n = len(sample.input_ids)
            torch.testing.assert_close(packed[start:start + n], alone, atol=1e-5, rtol=1e-5)
            start += n
    # Sanity: without restarting positions the later samples would see earlier ones.
    with torch.no_grad():
        leaky = tiny(input_ids=batch.input_ids, use_cache=False).logits[0]
    assert not torch.allclose(leaky[7:19], packed[7:19], atol=1e-3)


def test_targets_are_shifted_within_each_sample():
    a, b = _sample([1, 2, 3, 4], 2), _sample([5, 6, 7], 1)
    batch = pack([a, b])
    # position t predicts label t+1 of its own sample; a's last token does not predict b's first
    assert batch.keep.tolist() == [1, 2, 4, 5]
    assert batch.targets.tolist() == [3, 4, 6, 7]
    assert batch.trainable_tokens == 4


def _grads(model, windows) -> dict[str, torch.Tensor]:
    model.zero_grad(set_to_none=True)
    losses = [backward_window(model, [pack(s) for s in window], SingleProcess(), torch.autocast("cpu", enabled=False))
              for window in windows]
    grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
    model.zero_grad(set_to_none=True)
    return grads, losses


def test_accumulation_4x1_gives_the_gradients_of_batch_4(tiny):
    samples = _samples(1, lengths=(20, 6, 13, 9))  # unequal trainable counts: a per-micro-batch mean would differ
    accumulated, [(loss_a, tokens_a)] = _grads(tiny, [[[s] for s in samples]])
    batched, [(loss_b, tokens_b)] = _grads(tiny, [[samples]])
    assert tokens_a == tokens_b == sum(s.trainable_tokens for s in samples)
    assert loss_a == pytest.approx(loss_b, rel=1e-6)
    assert accumulated.keys() == batched.keys() and accumulated
    for name in batched:
        torch.testing.assert_close(accumulated[name], batched[name], atol=1e-6, rtol=1e-5)


def test_epoch_order_is_a_seeded_permutation():
    assert sorted(epoch_order(10, 3, 0)) == list(range(10))
    assert epoch_order(10, 3, 0) == epoch_order(10, 3, 0)
    assert epoch_order(10, 3, 0) != epoch_order(10, 3, 1)


def test_ranks_get_equal_disjoint_shares_covering_the_epoch():
    order = list(range(10))
    shares = [rank_micro_batches(order, 2, rank, 3) for rank in range(3)]
    assert [len(s) for s in shares] == [2, 2, 2]  # ceil(10/3)=4 samples each, padded by repeating the start
    seen = [i for share in shares for mb in share for i in mb]
    assert set(seen) == set(order) and len(seen) == 12
    assert accumulation_windows(list(range(5)), 2) == [[0, 1], [2, 3], [4]]
