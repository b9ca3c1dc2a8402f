"""What the API needs from an engine, so that another engine (llama.cpp, ...) can serve too.

`labtune.serve.generate.Engine` (transformers) is one; another needs the same few members. The
API never touches a model, a tokenizer or a KV cache itself.
"""

from __future__ import annotations

from typing import Protocol

from labtune.data.conversation import Message
from labtune.serve.batch import Sink
from labtune.serve.sampling import Sampling


class Handle(Protocol):
    def cancel(self) -> None:
        """Stop this answer at the next token (or before it starts); its sink gets `finish` once."""


class Serving(Protocol):
    """The engine running answers for a server: `start` returns at once, the work happens elsewhere."""

    stats: object  # `running` and `pending` counts, for /metrics

    def start(self, prompt_ids: list[int], sampling: Sampling, sink: Sink, chat: bool) -> Handle:
        """`chat`: the template's end-of-turn strings also stop it. `sink.text`/`sink.finish` may be
        called from any thread."""

    def close(self) -> None: ...


class ServingEngine(Protocol):
    model_id: str  # what /v1/models shows and requests name
    context_length: int

    def chat_prompt_ids(self, messages: list[Message]) -> list[int]: ...

    def text_prompt_ids(self, text: str) -> list[int]: ...

    def max_prompt_chars(self, tokens: int) -> int:
        """A text longer than this cannot fit in `tokens` tokens (checked before tokenizing)."""

    def serving(self, max_batch: int) -> Serving: ...
