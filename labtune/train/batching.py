"""Padding-free batching: the samples of a micro-batch are concatenated into one row.

position_ids restart at 0 for every sample; with no attention mask, transformers detects the
restarts and builds a block-diagonal causal mask (sdpa/eager) or varlen `cu_seq_lens` (flash
attention), so no token attends across samples and no pad token costs compute.

Targets are shifted inside each sample before concatenation, so the last token of one sample
never learns to predict the first token of the next. Only positions with a target reach the
vocabulary projection (`logits_to_keep`), which also skips the 49k-wide log-softmax on prompts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from labtune.data.tokenize import IGNORE_INDEX, Encoded


@dataclass
class MicroBatch:
    input_ids: torch.Tensor  # [1, T]
    position_ids: torch.Tensor  # [1, T]
    keep: torch.Tensor  # [K] positions whose next token is trainable
    targets: torch.Tensor  # [K] the token each kept position must predict

    @property
    def tokens(self) -> int:
        return self.input_ids.shape[1]

    @property
    def trainable_tokens(self) -> int:
        return self.targets.shape[0]

    def to(self, device) -> "MicroBatch":
        return MicroBatch(*(t.to(device, non_blocking=True) for t in
                            (self.input_ids, self.position_ids, self.keep, self.targets)))


def shifted_targets(sample: Encoded) -> list[int]:
    """targets[t] = the label of token t+1 within the sample; the last position predicts nothing."""
    return sample.labels[1:] + [IGNORE_INDEX]


def pack(samples: list[Encoded]) -> MicroBatch:
    input_ids: list[int] = []
    positions: list[int] = []
    targets: list[int] = []
    for sample in samples:
        input_ids += sample.input_ids
        positions += range(len(sample.input_ids))
        targets += shifted_targets(sample)
    target_row = torch.tensor(targets)
    keep = (target_row != IGNORE_INDEX).nonzero().squeeze(1)
    return MicroBatch(torch.tensor([input_ids]), torch.tensor([positions]), keep, target_row[keep])


def epoch_order(n: int, seed: int, epoch: int) -> list[int]:
    """The shuffled sample order of one epoch: a function of (seed, epoch) only, so resume can replay it."""
    generator = torch.Generator().manual_seed(seed * 1_000_003 + epoch)
    return torch.randperm(n, generator=generator).tolist()


def rank_micro_batches(order: list[int], batch_size: int, rank: int = 0, world_size: int = 1) -> list[list[int]]:
    """Split an epoch's order into micro-batches and keep this rank's share (strided, like DistributedSampler).

    Every rank gets the same number of micro-batches: the order is padded by repeating its start so
    no rank waits at a collective for a step the others never take.
    """
    per_rank = math.ceil(len(order) / world_size)
    padded = order + order[: per_rank * world_size - len(order)]
    mine = padded[rank::world_size]
    return [mine[i:i + batch_size] for i in range(0, len(mine), batch_size)]


def accumulation_windows(micro_batches: list, accumulation: int) -> list[list]:
    """Group micro-batches into optimizer steps; the last window of an epoch may be shorter."""
    return [micro_batches[i:i + accumulation] for i in range(0, len(micro_batches), accumulation)]


def micro_batches_per_epoch(n_samples: int, batch_size: int, world_size: int = 1) -> int:
    return math.ceil(math.ceil(n_samples / world_size) / batch_size)
