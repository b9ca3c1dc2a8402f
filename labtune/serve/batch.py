"""Continuous batching over a transformers model: sequences join and leave at token boundaries.

One decode step is one forward pass for every running sequence, each at its own length (rows are
left-padded; the attention mask hides the padding and position ids count each row's own tokens).
A new group of prompts is prefilled on its own, in chunks, between decode steps, then joins the
batch. Each sequence samples with its own settings and seed and stops on its own rules; a sequence
that finishes or is cancelled leaves the batch without touching the others' cache rows.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Iterator, Protocol

import torch

from labtune.serve.kv import BatchCache
from labtune.serve.sampling import RowSampler, Sampling
from labtune.serve.text import TextStream


@dataclass
class Generation:
    """What one generation produced, complete once `finish_reason` is set. When generated in the
    caller's thread (`Engine.generate`), iterating it runs the model and yields the text pieces."""

    prompt_tokens: int
    pieces: Iterator[str] = field(repr=False, default_factory=lambda: iter(()))
    text: str = ""
    completion_tokens: int = 0
    finish_reason: str | None = None  # "stop" | "length" | "cancelled" | "error"
    first_token_at: float | None = None
    started_at: float = field(default_factory=time.perf_counter)
    finished_at: float | None = None

    def __iter__(self) -> Iterator[str]:
        return self.pieces

    def run(self) -> "Generation":
        """Consume the whole generation (non-streaming use)."""
        for _ in self.pieces:
            pass
        return self

    @property
    def tokens_per_second(self) -> float:
        end = self.finished_at or time.perf_counter()
        return self.completion_tokens / max(end - self.started_at, 1e-9)


class Sink(Protocol):
    """Where a sequence's output goes. Called from the thread that runs the model."""

    def text(self, piece: str) -> None: ...

    def finish(self, generation: Generation) -> None: ...


class Sequence:
    """One request in a batch: its prompt, settings, text stream and progress."""

    def __init__(self, prompt_ids: list[int], sampling: Sampling, limit: int, stops: tuple[str, ...],
                 tokenizer, stop_token_ids: set[int], sink: Sink, cancelled: threading.Event | None = None):
        self.prompt_ids, self.limit, self.sink = prompt_ids, limit, sink
        self.sampling, self.stop_token_ids = sampling, stop_token_ids
        self.generation = Generation(prompt_tokens=len(prompt_ids))
        self.stream = TextStream(tokenizer, stops)
        self.cancelled = cancelled or threading.Event()
        self.sampler: RowSampler | None = None  # made when it is prefilled: it holds a tensor
        self.length = 0  # tokens of this row in the KV cache
        self.next_token: int | None = None  # picked, not yet fed to the model

    def cancel(self) -> None:
        """Stop at the next token boundary (or before prefill, if still in line)."""
        self.cancelled.set()

    @property
    def done(self) -> bool:
        return self.generation.finish_reason is not None

    def accept(self, token: int) -> None:
        """Take the token picked for this sequence: show its text, or finish."""
        gen = self.generation
        if gen.first_token_at is None:
            gen.first_token_at = time.perf_counter()
        if token in self.stop_token_ids:
            return self.end("stop")
        gen.completion_tokens += 1
        piece, stopped = self.stream.push(token)
        if piece:
            self.sink.text(piece)
        if stopped:
            return self.end("stop", flush=False)
        if gen.completion_tokens >= self.limit:
            return self.end("length")
        self.next_token = token

    def end(self, reason: str, flush: bool = True) -> None:
        if self.done:
            return
        if flush and reason in ("stop", "length"):
            rest = self.stream.finish()
            if rest:
                self.sink.text(rest)
        gen = self.generation
        gen.text, gen.finish_reason, gen.finished_at = self.stream.text, reason, time.perf_counter()
        self.sink.finish(gen)


@torch.inference_mode()
def forward(model, ids, mask, positions, cache):
    """Logits of the last position of each row, as float32 on the CPU."""
    out = model(input_ids=ids, attention_mask=mask, position_ids=positions, cache=cache, use_cache=True,
                logits_to_keep=1)
    return out.logits[:, -1, :].float().cpu()


class Prefill:
    """A group of new prompts, left-padded together and run through the model in chunks."""

    def __init__(self, model, sequences: list[Sequence], chunk_tokens: int):
        self.model, self.sequences = model, sequences
        device = next(model.parameters()).device
        width = max(len(s.prompt_ids) for s in sequences)
        self.ids = torch.zeros((len(sequences), width), dtype=torch.long, device=device)
        self.mask = torch.zeros((len(sequences), width), dtype=torch.long, device=device)
        for row, seq in enumerate(sequences):
            self.ids[row, width - len(seq.prompt_ids):] = torch.tensor(seq.prompt_ids)
            self.mask[row, width - len(seq.prompt_ids):] = 1
        self.positions = (self.mask.cumsum(-1) - 1).clamp(min=0)
        self.cache = BatchCache(model.config)
        self.step_columns = max(1, chunk_tokens // len(sequences))
        self.done_columns = 0
        self.logits = None

    @property
    def finished(self) -> bool:
        return self.logits is not None

    def step(self) -> None:
        """Run the next chunk of columns."""
        start, end = self.done_columns, min(self.done_columns + self.step_columns, self.ids.shape[1])
        self.logits = None
        logits = forward(self.model, self.ids[:, start:end], self.mask[:, :end], self.positions[:, start:end],
                         self.cache)
        self.done_columns = end
        if end == self.ids.shape[1]:
            self.logits = logits


class Batch:
    """The running sequences, their shared KV cache and attention mask."""

    def __init__(self, model):
        self.model = model
        self.rows: list[Sequence] = []
        self.cache: BatchCache | None = None
        self.mask: torch.Tensor | None = None

    def __len__(self) -> int:
        return len(self.rows)

    def join(self, prefill: Prefill) -> None:
        """Pick each new sequence's first token, then add the ones still going to the batch."""
        for row, seq in enumerate(prefill.sequences):
            seq.length = len(seq.prompt_ids)
            seq.sampler = RowSampler(seq.sampling, seq.prompt_ids)
            if seq.cancelled.is_set():
                seq.end("cancelled")
            else:
                seq.accept(seq.sampler.pick(prefill.logits[row:row + 1]))
        keep = [row for row, seq in enumerate(prefill.sequences) if not seq.done]
        if not keep:
            return
        cache, mask = prefill.cache, prefill.mask
        if len(keep) < len(prefill.sequences):
            cache.select(keep)
            mask = mask[keep]
        if not self.rows:
            self.cache, self.mask = cache, mask
        else:
            size = max(self.cache.size, cache.size)
            self.cache.join(cache)
            self.mask = torch.cat([_left_pad(self.mask, size), _left_pad(mask, size)])
        self.rows += [prefill.sequences[row] for row in keep]

    def decode(self) -> None:
        """One token for every running sequence, in one forward pass."""
        device = self.mask.device
        ids = torch.tensor([[seq.next_token] for seq in self.rows], dtype=torch.long, device=device)
        positions = torch.tensor([[seq.length] for seq in self.rows], dtype=torch.long, device=device)
        self.mask = torch.cat([self.mask, self.mask.new_ones((len(self.rows), 1))], dim=1)
        logits = forward(self.model, ids, self.mask, positions, self.cache)
        for row, seq in enumerate(self.rows):
            seq.length += 1
            seq.next_token = None
            if seq.cancelled.is_set():
                seq.end("cancelled")
            else:
                seq.accept(seq.sampler.pick(logits[row:row + 1]))

    def drop_finished(self) -> None:
        """Remove finished or cancelled rows, then padding columns that no row needs any more."""
        for seq in self.rows:
            if seq.cancelled.is_set():
                seq.end("cancelled")
        keep = [row for row, seq in enumerate(self.rows) if not seq.done]
        if len(keep) == len(self.rows):
            return
        if not keep:
            self.rows, self.cache, self.mask = [], None, None
            return
        self.cache.select(keep)
        self.mask = self.mask[keep]
        self.rows = [self.rows[row] for row in keep]
        unused = int(self.mask.any(dim=0).long().argmax())  # leading columns that are padding in every row
        if unused:
            self.cache.trim_left(unused)
            self.mask = self.mask[:, unused:]

    def fail(self, reason: str = "error") -> None:
        for seq in self.rows:
            seq.end(reason, flush=False)
        self.rows, self.cache, self.mask = [], None, None


def _left_pad(mask: torch.Tensor, size: int) -> torch.Tensor:
    pad = size - mask.shape[1]
    return mask if pad == 0 else torch.cat([mask.new_zeros((mask.shape[0], pad)), mask], dim=1)
