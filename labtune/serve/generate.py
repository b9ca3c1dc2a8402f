"""The transformers engine: a loaded run's model, tokenizer and template, for chat and the API.

`generate`/`chat` run one answer in the caller's thread (the terminal chat: Ctrl-C lands there);
`serving` gives the server a batcher that runs every request's answer in one batch. Both use the
same code (`labtune.serve.batch`), so an answer does not depend on how it was asked for.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Iterator

from labtune.data.conversation import Message
from labtune.data.tokenize import bos_ids, encode_prompt
from labtune.model.load import Loaded
from labtune.serve.batch import Batch, Generation, Prefill, Sequence
from labtune.serve.batcher import Batcher, BatcherStats
from labtune.serve.sampling import Sampling

__all__ = ["Engine", "Generation", "Sampling"]

PREFILL_CHUNK = 256  # prompt tokens per forward pass while other answers wait for their next token


class Engine:
    """A loaded model + tokenizer + template; see `labtune.serve.engine.ServingEngine`."""

    def __init__(self, loaded: Loaded):
        self.loaded = loaded
        self.model = loaded.model
        self.tokenizer = loaded.tokenizer
        self.template = loaded.template
        self.model.eval()
        config = getattr(self.model, "config", None)
        self.context_length = int(getattr(config, "max_position_embeddings", 0) or 2048)
        self.stop_token_ids = set(self.template.stop_token_ids(self.tokenizer))
        self._longest_token: int | None = None
        self.threads: int | None = None  # torch threads of the serving thread (None: the process's setting)

    @property
    def name(self) -> str:
        """What the user called the model (a path, a run directory, an alias)."""
        return self.loaded.name

    @property
    def model_id(self) -> str:
        """The id clients see: the run's name, or the model directory's name; never a full path."""
        if self.loaded.run is not None:
            return self.loaded.run.name
        path = Path(self.loaded.name)
        return path.resolve().name if path.exists() else self.loaded.name

    # --- prompts -------------------------------------------------------------------------------

    def chat_prompt_ids(self, messages: list[Message]) -> list[int]:
        """Tokens of the template's generation prompt, exactly as training tokenizes it."""
        return encode_prompt(messages, self.template, self.tokenizer)

    def text_prompt_ids(self, text: str) -> list[int]:
        """Raw completion prompt: the text as is, with the BOS the tokenizer would add. An empty
        prompt starts from the BOS token (or end-of-text where there is none), as OpenAI's does."""
        ids = bos_ids(self.tokenizer, self.template) + self.tokenizer(text, add_special_tokens=False)["input_ids"]
        if not ids:
            start = self.tokenizer.bos_token_id if self.tokenizer.bos_token_id is not None \
                else self.tokenizer.eos_token_id
            ids = [start] if start is not None else []
        return ids

    def max_prompt_chars(self, tokens: int) -> int:
        """Characters beyond which a text cannot fit in `tokens` tokens (no token is longer than the
        longest in the vocabulary), so a server can refuse it without tokenizing it."""
        if self._longest_token is None:
            vocab = self.tokenizer.convert_ids_to_tokens(list(range(len(self.tokenizer))))
            self._longest_token = max(len(t) for t in vocab if t)
        return tokens * self._longest_token

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

    def sequence(self, prompt_ids: list[int], sampling: Sampling, sink, chat: bool,
                 cancelled: threading.Event | None = None) -> Sequence:
        """One answer to be generated: the template's end-of-turn strings stop a chat answer."""
        stops = (*self.template.stop, *sampling.stop) if chat else sampling.stop
        limit = min(sampling.max_new_tokens, self.context_length - len(prompt_ids))
        return Sequence(prompt_ids, sampling, limit, tuple(stops), self.tokenizer, self.stop_token_ids, sink,
                        cancelled)

    def chat(self, messages: list[Message], sampling: Sampling, cancel: threading.Event | None = None) -> Generation:
        return self._in_this_thread(self.chat_prompt_ids(messages), sampling, cancel, chat=True)

    def generate(self, prompt_ids: list[int], sampling: Sampling, cancel: threading.Event | None = None) -> Generation:
        return self._in_this_thread(prompt_ids, sampling, cancel, chat=False)

    def _in_this_thread(self, prompt_ids, sampling, cancel, chat: bool) -> Generation:
        sink = Collect()
        seq = self.sequence(prompt_ids, sampling, sink, chat, cancel)
        seq.generation.pieces = self._run_one(seq, sink)
        return seq.generation

    def _run_one(self, seq: Sequence, sink: "Collect") -> Iterator[str]:
        if seq.limit < 1:
            seq.end("length")
            return
        prefill, batch = Prefill(self.model, [seq], PREFILL_CHUNK), Batch(self.model)
        while not prefill.finished:
            if seq.cancelled.is_set():
                seq.end("cancelled")
                return
            prefill.step()
        batch.join(prefill)
        yield from sink.drain()
        while batch.rows:
            batch.drop_finished()
            if batch.rows:
                batch.decode()
            yield from sink.drain()

    def serving(self, max_batch: int = 8) -> "Served":
        return Served(self, max_batch)


class Served:
    """The engine as a server uses it: answers start at once and run batched in one thread."""

    def __init__(self, engine: Engine, max_batch: int):
        self.engine = engine
        self.batcher = Batcher(engine.model, max_batch=max_batch, prefill_chunk=PREFILL_CHUNK, threads=engine.threads)

    @property
    def stats(self) -> BatcherStats:
        return self.batcher.stats

    def start(self, prompt_ids: list[int], sampling: Sampling, sink, chat: bool) -> Sequence:
        """Queue an answer; its text and end go to `sink` from the model's thread. `.cancel()` stops it."""
        seq = self.engine.sequence(prompt_ids, sampling, sink, chat)
        if seq.limit < 1:
            seq.end("length")
        else:
            self.batcher.submit(seq)
        return seq

    def close(self) -> None:
        self.batcher.close()


class Collect:
    """A sink that keeps the text pieces until the caller's loop takes them."""

    def __init__(self):
        self.pieces: list[str] = []

    def text(self, piece: str) -> None:
        self.pieces.append(piece)

    def finish(self, generation: Generation) -> None:
        pass

    def drain(self) -> Iterator[str]:
        pieces, self.pieces = self.pieces, []
        yield from pieces
