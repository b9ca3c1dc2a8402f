"""Choosing the next token for one sequence: its own sampling settings, its own random generator.

Sampling goes through transformers' own logits processors, so temperature, top_p and
repetition_penalty mean what they mean in `model.generate`. Each sequence carries its own
`torch.Generator`, so a seed reproduces an answer whatever else shares the batch.
"""

from __future__ import annotations

from dataclasses import dataclass

# Below this temperature sampling is greedy: dividing logits by a smaller number overflows float32
# (1e-300 becomes 0, and 0/0 is NaN), and the distribution is a point mass long before that.
GREEDY_BELOW = 1e-5
SEED_MODULUS = 2**64  # torch.Generator takes a 64-bit seed


@dataclass(frozen=True)
class Sampling:
    temperature: float = 0.7  # 0 (or anything below GREEDY_BELOW) means greedy
    top_p: float = 1.0
    max_new_tokens: int = 512
    repetition_penalty: float = 1.0
    seed: int | None = None
    stop: tuple[str, ...] = ()  # extra stop strings; the template's end-of-turn always stops

    @property
    def greedy(self) -> bool:
        return not self.temperature >= GREEDY_BELOW  # NaN is greedy too


class RowSampler:
    """Picks tokens for one sequence from its row of logits."""

    def __init__(self, sampling: Sampling, prompt_ids: list[int]):
        import torch
        from transformers import (LogitsProcessorList, RepetitionPenaltyLogitsProcessor,
                                  TemperatureLogitsWarper, TopPLogitsWarper)

        self.greedy = sampling.greedy
        self.penalty = None
        self.seen = None  # prompt + generated ids, only when a repetition penalty needs them
        if sampling.repetition_penalty != 1.0:
            self.penalty = RepetitionPenaltyLogitsProcessor(float(sampling.repetition_penalty))
            self.seen = torch.tensor([prompt_ids], dtype=torch.long)
        self.warpers = LogitsProcessorList()
        if not self.greedy:
            self.warpers.append(TemperatureLogitsWarper(float(sampling.temperature)))
            if sampling.top_p < 1.0:
                self.warpers.append(TopPLogitsWarper(float(sampling.top_p)))
        self.rng = torch.Generator()
        if sampling.seed is None:
            self.rng.seed()
        else:
            self.rng.manual_seed(sampling.seed % SEED_MODULUS)

    def pick(self, logits) -> int:
        """`logits`: this sequence's [1, vocab] float32 row (on the CPU)."""
        import torch

        scores = logits if self.penalty is None else self.penalty(self.seen, logits)
        scores = scores - scores.max()  # the best token at 0: a small temperature cannot overflow
        if self.warpers:
            scores = self.warpers(self.seen, scores)
        if self.greedy:
            token = int(scores.argmax(dim=-1)[0])
        else:
            probs = torch.softmax(scores, dim=-1)
            if not bool(torch.isfinite(probs).all()):  # never reached with valid settings; never crash on it
                token = int(logits.argmax(dim=-1)[0])
            else:
                token = int(torch.multinomial(probs, 1, generator=self.rng)[0, 0])
        if self.seen is not None:
            self.seen = torch.cat([self.seen, torch.tensor([[token]])], dim=1)
        return token
