"""One generation engine for chat and the API: streaming text, the run's template, stop rules.

An own decoding loop over the model's KV cache (rather than `model.generate` in a thread) so that
cancelling is a flag checked between tokens and stop strings are cut before any text leaves.
Sampling uses transformers' own logits processors, so the numbers mean what they mean in `generate`.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Iterator

from labtune.data.conversation import Message
from labtune.data.tokenize import bos_ids, encode_prompt
from labtune.model.load import Loaded


@dataclass(frozen=True)
class Sampling:
    temperature: float = 0.7  # 0 means greedy
    top_p: float = 1.0
    max_new_tokens: int = 512
    repetition_penalty: float = 1.0
    seed: int | None = None
    stop: tuple[str, ...] = ()  # extra stop strings; the template's end-of-turn always stops


@dataclass
class Generation:
    """One generation: iterate it for text pieces; afterwards read why and how much it produced."""

    prompt_tokens: int
    pieces: Iterator[str] = field(repr=False, default_factory=lambda: iter(()))
    text: str = ""
    completion_tokens: int = 0
    finish_reason: str | None = None  # "stop" | "length" | "cancelled"
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


def _held_back(text: str, stops: tuple[str, ...]) -> int:
    """Length of the longest tail of `text` that could still grow into a stop string."""
    longest = 0
    for stop in stops:
        for n in range(min(len(stop) - 1, len(text)), longest, -1):
            if text.endswith(stop[:n]):
                longest = n
                break
    return longest


class Engine:
    """A loaded model + tokenizer + template, able to generate one stream at a time per caller."""

    def __init__(self, loaded: Loaded):
        self.loaded = loaded
        self.model = loaded.model
        self.tokenizer = loaded.tokenizer
        self.template = loaded.template
        self.model.eval()
        config = getattr(self.model, "config", None)
        self.context_length = int(getattr(config, "max_position_embeddings", 0) or 2048)
        self.stop_token_ids = set(self.template.stop_token_ids(self.tokenizer))

    @property
    def name(self) -> str:
        return self.loaded.name

    # --- prompts -------------------------------------------------------------------------------

    def chat_prompt_ids(self, messages: list[Message]) -> list[int]:
        """Tokens of the template's generation prompt, exactly as training tokenizes it."""
        return encode_prompt(messages, self.template, self.tokenizer)

    def text_prompt_ids(self, text: str) -> list[int]:
        """Raw completion prompt: the text as is, with the BOS the tokenizer would add."""
        return bos_ids(self.tokenizer, self.template) + self.tokenizer(text, add_special_tokens=False)["input_ids"]

    def fit_history(self, messages: list[Message], max_new_tokens: int) -> tuple[list[Message], int]:
        """Drop the oldest turns (never the system message or the last user turn) until the prompt
        leaves room for `max_new_tokens`. Returns the kept messages and how many were dropped."""
        budget = self.context_length - max_new_tokens
        system = [m for m in messages[:1] if m.role == "system"]
        turns = list(messages[len(system):])
        dropped = 0
        while len(turns) > 1 and len(self.chat_prompt_ids(system + turns)) > budget:
            # drop a whole exchange so the history still starts with a user turn
            cut = 2 if len(turns) > 2 and turns[0].role == "user" and turns[1].role == "assistant" else 1
            turns, dropped = turns[cut:], dropped + cut
        return system + turns, dropped

    # --- generation ----------------------------------------------------------------------------

    def chat(self, messages: list[Message], sampling: Sampling, cancel: threading.Event | None = None) -> Generation:
        return self.generate(self.chat_prompt_ids(messages), sampling, cancel, stops=tuple(self.template.stop))

    def generate(self, prompt_ids: list[int], sampling: Sampling, cancel: threading.Event | None = None,
                 stops: tuple[str, ...] = ()) -> Generation:
        generation = Generation(prompt_tokens=len(prompt_ids))
        stops = tuple(s for s in (*stops, *sampling.stop) if s)
        generation.pieces = self._pieces(generation, prompt_ids, sampling, cancel or threading.Event(), stops)
        return generation

    def _pieces(self, gen: Generation, prompt_ids: list[int], sampling: Sampling, cancel: threading.Event,
                stops: tuple[str, ...]) -> Iterator[str]:
        import torch
        from transformers import DynamicCache

        room = self.context_length - len(prompt_ids)
        limit = min(sampling.max_new_tokens, max(room, 0))
        pick = self._sampler(sampling)
        device = next(self.model.parameters()).device
        sequence = torch.tensor([prompt_ids], dtype=torch.long, device=device)
        feed = sequence
        cache = DynamicCache(config=self.model.config)
        new_ids: list[int] = []
        sent = 0  # characters of the decoded text already handed out
        gen.finish_reason = "length"
        try:
            with torch.inference_mode():
                while len(new_ids) < limit:
                    if cancel.is_set():
                        gen.finish_reason = "cancelled"
                        break
                    logits = self.model(input_ids=feed, cache=cache, use_cache=True).logits[:, -1, :]
                    token = pick(sequence, logits.float())
                    if gen.first_token_at is None:
                        gen.first_token_at = time.perf_counter()
                    if token in self.stop_token_ids:
                        gen.finish_reason = "stop"
                        break
                    new_ids.append(token)
                    gen.completion_tokens = len(new_ids)
                    feed = torch.tensor([[token]], dtype=torch.long, device=device)
                    sequence = torch.cat([sequence, feed], dim=1)
                    text = self.tokenizer.decode(new_ids, skip_special_tokens=True)
                    hit = min((i for i in (text.find(s, max(sent - len(s), 0)) for s in stops) if i >= 0),
                              default=-1)
                    if hit >= 0:
                        gen.text = text[:hit]
                        if hit > sent:
                            yield text[sent:hit]
                        gen.finish_reason = "stop"
                        return
                    # a trailing U+FFFD is half of a multi-byte character: wait for the rest
                    safe = len(text.rstrip("\ufffd"))
                    safe -= _held_back(text[:safe], stops)
                    gen.text = text
                    if safe > sent:
                        yield text[sent:safe]
                        sent = safe
            if sent < len(gen.text) and gen.finish_reason != "cancelled":
                yield gen.text[sent:]  # text held back for a stop string that never came
        finally:
            gen.finished_at = time.perf_counter()

    @staticmethod
    def _sampler(sampling: Sampling):
        """A function (sequence, logits) -> next token id, using transformers' logits processors."""
        import torch
        from transformers import (LogitsProcessorList, RepetitionPenaltyLogitsProcessor,
                                  TemperatureLogitsWarper, TopPLogitsWarper)

        processors = LogitsProcessorList()
        if sampling.repetition_penalty != 1.0:
            processors.append(RepetitionPenaltyLogitsProcessor(sampling.repetition_penalty))
        greedy = sampling.temperature <= 0
        if not greedy:
            processors.append(TemperatureLogitsWarper(sampling.temperature))
            if sampling.top_p < 1.0:
                processors.append(TopPLogitsWarper(sampling.top_p))
        rng = torch.Generator()
        if sampling.seed is not None:
            rng.manual_seed(sampling.seed)
        else:
            rng.seed()

        def pick(sequence, logits) -> int:
            scores = processors(sequence, logits)
            if greedy:
                return int(scores.argmax(dim=-1)[0])
            probs = torch.softmax(scores, dim=-1).cpu()
            return int(torch.multinomial(probs, 1, generator=rng)[0, 0])

        return pick
