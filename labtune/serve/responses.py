"""Every response body the API sends, built in one place, and the models that document them.

`Reply` builds one answer's bodies (whole, or as stream chunks); a field added to answers (for
example the notes an answer used) is added here, in `Reply.extra`, and shows up in both forms.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from typing import AsyncIterator, Literal

from pydantic import BaseModel
from starlette.responses import StreamingResponse

from labtune.serve.batch import Generation


@dataclass
class Reply:
    kind: Literal["chat", "text"]
    model: str
    id: str = ""
    created: int = field(default_factory=lambda: int(time.time()))
    extra: dict = field(default_factory=dict)  # more top-level fields for the final body / last chunk

    def __post_init__(self):
        self.id = self.id or f"{'chatcmpl' if self.kind == 'chat' else 'cmpl'}-{uuid.uuid4().hex}"

    @property
    def object(self) -> str:
        return "chat.completion" if self.kind == "chat" else "text_completion"

    def _head(self, obj: str) -> dict:
        return {"id": self.id, "object": obj, "created": self.created, "model": self.model}

    def whole(self, gen: Generation) -> dict:
        if self.kind == "chat":
            choice = {"index": 0, "message": {"role": "assistant", "content": gen.text},
                      "finish_reason": gen.finish_reason, "logprobs": None}
        else:
            choice = {"index": 0, "text": gen.text, "finish_reason": gen.finish_reason, "logprobs": None}
        return self._head(self.object) | {"choices": [choice], "usage": usage(gen)} | self.extra

    # --- streaming -------------------------------------------------------------------------------

    def _chunk(self, content: str | None, finish: str | None = None, role: bool = False) -> dict:
        if self.kind == "chat":
            delta = {"role": "assistant", "content": ""} if role else ({} if content is None else {"content": content})
            return self._head("chat.completion.chunk") | {
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}]}
        return self._head("text_completion") | {
            "choices": [{"index": 0, "text": content or "", "finish_reason": finish, "logprobs": None}]}

    def opening(self) -> list[dict]:
        return [self._chunk(None, role=True)] if self.kind == "chat" else []

    def piece(self, text: str) -> dict:
        return self._chunk(text)

    def closing(self, gen: Generation, include_usage: bool) -> list[dict]:
        chunks = [self._chunk(None, gen.finish_reason) | self.extra]
        if include_usage:
            head = self._head("chat.completion.chunk" if self.kind == "chat" else "text_completion")
            chunks.append(head | {"choices": [], "usage": usage(gen)})
        return chunks


def usage(gen: Generation) -> dict:
    return {"prompt_tokens": gen.prompt_tokens, "completion_tokens": gen.completion_tokens,
            "total_tokens": gen.prompt_tokens + gen.completion_tokens}


def sse(events: AsyncIterator[dict]) -> StreamingResponse:
    """Server-sent events, ending with `data: [DONE]` as OpenAI's streams do."""

    async def body():
        async for event in events:
            yield f"data: {json.dumps(event, ensure_ascii=False)}\n\n"
        yield "data: [DONE]\n\n"

    return StreamingResponse(body(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def models_list(model_id: str) -> dict:
    return {"object": "list", "data": [{"id": model_id, "object": "model", "created": 0, "owned_by": "labtune"}]}


# --- documentation models (what /openapi.json says the bodies are) -----------------------------


class ErrorDetail(BaseModel):
    message: str
    type: str
    param: str | None
    code: str | None


class ErrorBody(BaseModel):
    error: ErrorDetail


class Usage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class AssistantMessage(BaseModel):
    role: Literal["assistant"]
    content: str


class ChatChoice(BaseModel):
    index: int
    message: AssistantMessage
    finish_reason: str | None
    logprobs: None


class AnswerSources(BaseModel):
    """labtune's own field: the notes an open-book answer was given (a server with a notes index)."""

    notes: list[str]


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"]
    created: int
    model: str
    choices: list[ChatChoice]
    usage: Usage
    labtune: AnswerSources | None = None


class TextChoice(BaseModel):
    index: int
    text: str
    finish_reason: str | None
    logprobs: None


class Completion(BaseModel):
    id: str
    object: Literal["text_completion"]
    created: int
    model: str
    choices: list[TextChoice]
    usage: Usage


class ModelCard(BaseModel):
    id: str
    object: Literal["model"]
    created: int
    owned_by: str


class ModelList(BaseModel):
    object: Literal["list"]
    data: list[ModelCard]


class Health(BaseModel):
    status: Literal["ok"]
