"""An engine that runs a GGUF file with llama.cpp (llama-cpp-python, the `[llamacpp]` extra).

It is a `labtune.serve.engine.ServingEngine` like the transformers engine, and borrows that engine's
own methods for prompts (so llama.cpp receives the very token ids training made, never text) and its
`Sequence` for what follows a token: stop ids and strings, incremental text, limits, cancelling.
Only the next token comes from llama.cpp. Sampling maps onto llama.cpp's: temperature 0 is greedy,
top_p, repetition penalty; its own top-k and min-p cut-offs are off so the numbers mean what they
mean in the transformers engine. One llama.cpp context decodes one answer at a time: a server queues
the others.
"""

from __future__ import annotations

import logging
import queue
import threading
from pathlib import Path
from typing import Iterator

from labtune.errors import LabtuneError
from labtune.model.load import Loaded, load
from labtune.serve.batch import Sequence
from labtune.serve.batcher import BatcherStats
from labtune.serve.generate import Collect, Engine
from labtune.serve.sampling import Sampling

log = logging.getLogger("labtune.serve")
INSTALL = "pip install 'labtune[llamacpp]' (builds llama-cpp-python from source)"


class LlamaCppEngine:
    """A GGUF file run by llama.cpp, with the tokenizer and template labtune reads from the same file."""

    name = Engine.name
    model_id = Engine.model_id
    chat_prompt_ids = Engine.chat_prompt_ids
    text_prompt_ids = Engine.text_prompt_ids
    max_prompt_chars = Engine.max_prompt_chars
    fit_history = Engine.fit_history
    sequence = Engine.sequence
    chat = Engine.chat  # in the caller's thread, through `_run_one` below
    generate = Engine.generate
    _in_this_thread = Engine._in_this_thread

    def __init__(self, loaded: Loaded, llama):
        self.loaded, self.llama = loaded, llama
        self.model = None  # llama.cpp holds the weights
        self.tokenizer, self.template = loaded.tokenizer, loaded.template
        self.context_length = int(llama.n_ctx())
        self.stop_token_ids = set(self.template.stop_token_ids(self.tokenizer))
        self._longest_token: int | None = None
        self._lock = threading.Lock()  # one llama.cpp context: one answer at a time

    def _run_one(self, seq: Sequence, sink: Collect) -> Iterator[str]:
        for _ in self.run(seq):
            yield from sink.drain()
        yield from sink.drain()

    def run(self, seq: Sequence) -> Iterator[None]:
        """Decode `seq` to its end, one llama.cpp token at a time (yields after each)."""
        if seq.limit < 1:
            seq.end("length")
            return
        sampling = seq.sampling
        with self._lock:
            if sampling.seed is not None:
                self.llama.set_seed(sampling.seed % 2**32)
            tokens = self.llama.generate(seq.prompt_ids, temp=max(sampling.temperature, 0.0), top_p=sampling.top_p,
                                         top_k=0, min_p=0.0, repeat_penalty=sampling.repetition_penalty, reset=True)
            try:
                for token in tokens:
                    if seq.cancelled.is_set():
                        seq.end("cancelled")
                    else:
                        seq.accept(int(token))
                    yield
                    if seq.done:
                        break
            except Exception:
                seq.end("error")
                raise
            finally:
                tokens.close()

    def serving(self, max_batch: int = 8) -> LlamaCppServed:
        return LlamaCppServed(self)


class LlamaCppServed:
    """Answers for a server, one after another in one thread (llama.cpp's context is not shared)."""

    def __init__(self, engine: LlamaCppEngine):
        self.engine = engine
        self.stats = BatcherStats()
        self._queue: queue.Queue[Sequence | None] = queue.Queue()
        self._thread = threading.Thread(target=self._work, name="labtune-llamacpp", daemon=True)
        self._thread.start()

    def start(self, prompt_ids: list[int], sampling: Sampling, sink, chat: bool) -> Sequence:
        seq = self.engine.sequence(prompt_ids, sampling, sink, chat)
        self.stats.pending += 1
        self._queue.put(seq)
        return seq

    def _work(self) -> None:
        while (seq := self._queue.get()) is not None:
            self.stats.pending -= 1
            if seq.cancelled.is_set():
                seq.end("cancelled")
                continue
            self.stats.running = 1
            try:
                for _ in self.engine.run(seq):
                    self.stats.steps += 1
            except Exception:  # noqa: BLE001  (the answer ended as "error"; the next one still runs)
                log.exception("llama.cpp failed on an answer")
            finally:
                self.stats.running, self.stats.largest_batch = 0, 1

    def close(self) -> None:
        self._queue.put(None)


def load_engine(name: str, template: str | None = None, threads: int | None = None,
                context_length: int | None = None) -> LlamaCppEngine:
    """Open the GGUF file `name` with llama.cpp (context: the file's own unless given)."""
    path = Path(name).expanduser()
    if path.suffix != ".gguf" or not path.is_file():
        raise LabtuneError(f"{name}: the llama.cpp engine runs a .gguf file; make one with "
                           f"`labtune export RUN --to gguf -o model.gguf`")
    try:
        import llama_cpp
    except ImportError:
        raise LabtuneError(f"the llama.cpp engine needs llama-cpp-python: {INSTALL}") from None
    loaded = load(str(path), with_model=False, template=template)
    try:
        llama = llama_cpp.Llama(model_path=str(path), n_ctx=context_length or 0, n_threads=threads, verbose=False)
    except (ValueError, RuntimeError) as exc:
        raise LabtuneError(f"{path}: llama.cpp cannot load it: {exc}") from None
    return LlamaCppEngine(loaded, llama)
