"""A generation engine that runs a GGUF file with llama.cpp (llama-cpp-python, the `[llamacpp]` extra).

Same public face as `labtune.serve.generate.Engine` (name, context_length, template, tokenizer,
chat_prompt_ids, text_prompt_ids, fit_history, chat, generate -> Generation), so the terminal chat and
the API serve either. Prompts are built by the very same methods as the torch engine, with the
tokenizer read from the GGUF and the run's template the file records; llama.cpp receives token ids,
never text, so what it sees is what training tokenized. Sampling maps onto llama.cpp's: temperature
0 is greedy, top_p, repetition penalty; llama.cpp's own top-k and min-p cut-offs are turned off so the
numbers mean what they mean in the torch engine.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Iterator

from labtune.errors import LabtuneError
from labtune.model.load import Loaded, load
from labtune.serve.generate import Engine, Generation, Sampling, _held_back

INSTALL = "pip install 'labtune[llamacpp]' (builds llama-cpp-python from source)"


class LlamaCppEngine:
    """A GGUF file run by llama.cpp, with the tokenizer and template labtune reads from the same file."""

    # Prompt building and history trimming are the torch engine's own methods, not copies of them.
    chat_prompt_ids = Engine.chat_prompt_ids
    text_prompt_ids = Engine.text_prompt_ids
    fit_history = Engine.fit_history
    chat = Engine.chat

    def __init__(self, loaded: Loaded, llama):
        self.loaded = loaded
        self.llama = llama
        self.model = None  # no torch model: llama.cpp holds the weights
        self.tokenizer = loaded.tokenizer
        self.template = loaded.template
        self.context_length = int(llama.n_ctx())
        self.stop_token_ids = set(self.template.stop_token_ids(self.tokenizer))
        self._lock = threading.Lock()  # one llama.cpp context: one generation at a time

    @property
    def name(self) -> str:
        return self.loaded.name

    def generate(self, prompt_ids: list[int], sampling: Sampling, cancel: threading.Event | None = None,
                 stops: tuple[str, ...] = ()) -> Generation:
        generation = Generation(prompt_tokens=len(prompt_ids))
        stops = tuple(s for s in (*stops, *sampling.stop) if s)
        generation.pieces = self._pieces(generation, prompt_ids, sampling, cancel or threading.Event(), stops)
        return generation

    def _tokens(self, prompt_ids: list[int], sampling: Sampling) -> Iterator[int]:
        if sampling.seed is not None:
            self.llama.set_seed(sampling.seed)
        return self.llama.generate(prompt_ids, temp=max(sampling.temperature, 0.0), top_p=sampling.top_p, top_k=0,
                                   min_p=0.0, repeat_penalty=sampling.repetition_penalty, reset=True)

    def _pieces(self, gen: Generation, prompt_ids: list[int], sampling: Sampling, cancel: threading.Event,
                stops: tuple[str, ...]) -> Iterator[str]:
        limit = min(sampling.max_new_tokens, max(self.context_length - len(prompt_ids), 0))
        new_ids: list[int] = []
        sent = 0
        gen.finish_reason = "length"
        with self._lock:
            tokens = self._tokens(prompt_ids, sampling) if limit > 0 else iter(())
            try:
                for token in tokens:
                    if cancel.is_set():
                        gen.finish_reason = "cancelled"
                        break
                    if gen.first_token_at is None:
                        gen.first_token_at = time.perf_counter()
                    if token in self.stop_token_ids:
                        gen.finish_reason = "stop"
                        break
                    new_ids.append(int(token))
                    gen.completion_tokens = len(new_ids)
                    text = self.tokenizer.decode(new_ids, skip_special_tokens=True)
                    hit = min((i for i in (text.find(s, max(sent - len(s), 0)) for s in stops) if i >= 0),
                              default=-1)
                    if hit >= 0:
                        gen.text, gen.finish_reason = text[:hit], "stop"
                        if hit > sent:
                            yield text[sent:hit]
                        return
                    safe = len(text.rstrip("\ufffd"))
                    safe -= _held_back(text[:safe], stops)
                    gen.text = text
                    if safe > sent:
                        yield text[sent:safe]
                        sent = safe
                    if len(new_ids) >= limit:
                        break
                if sent < len(gen.text) and gen.finish_reason != "cancelled":
                    yield gen.text[sent:]
            finally:
                if hasattr(tokens, "close"):
                    tokens.close()
                gen.finished_at = time.perf_counter()


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
