"""OpenAI-compatible API and the web chat page, for one model, in one process.

Safe by default: callers bind it to 127.0.0.1; with an API key every /v1 call needs
`Authorization: Bearer KEY` (constant-time compare); body size, prompt tokens and max_tokens are
capped; a bounded wait line answers 429 when full; a client that goes away stops its generation.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import time
import uuid
from dataclasses import dataclass
from importlib import resources
from typing import AsyncIterator

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, StreamingResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ValidationError

from labtune.data.conversation import Message
from labtune.serve.generate import Engine, Generation, Sampling
from labtune.serve.jobs import Job, Scheduler
from labtune.serve.schemas import ApiError, ChatCompletionRequest, CompletionRequest

STATIC_DIR = resources.files("labtune.serve") / "static"


@dataclass(frozen=True)
class Limits:
    max_body_bytes: int = 1 << 20
    max_prompt_tokens: int | None = None  # None: the model's context length
    max_tokens: int = 1024  # cap on max_tokens per request (and the default when a request sets none)
    max_waiting: int = 8  # requests waiting for the model beyond the one running; more get 429


def create_app(engine: Engine, api_key: str | None = None, limits: Limits = Limits(),
               model_name: str | None = None) -> FastAPI:
    app = FastAPI(title="labtune", docs_url=None, redoc_url=None, openapi_url=None)
    scheduler = Scheduler(limits.max_waiting)
    app.state.scheduler = scheduler
    model_id = model_name or engine.name
    max_prompt = min(limits.max_prompt_tokens or engine.context_length, engine.context_length - 1)

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError):
        return exc.response()

    # A plain ASGI middleware, not @app.middleware("http"): that one wraps `receive` and hides a
    # client's disconnect from the endpoint, which must see it to stop the generation.
    app.add_middleware(_Guard, api_key=api_key, max_body_bytes=limits.max_body_bytes)

    @app.get("/health")
    async def health():
        return {"status": "ok"}

    @app.get("/v1/models")
    async def models():
        return {"object": "list", "data": [{"id": model_id, "object": "model", "created": 0, "owned_by": "labtune"}]}

    @app.post("/v1/chat/completions")
    async def chat_completions(request: Request):
        body = await _parse(request, ChatCompletionRequest, limits.max_body_bytes)
        _check_model(body.model, model_id)
        messages = [Message("system" if m.role == "developer" else m.role, m.text()) for m in body.messages]
        prompt_ids = await asyncio.to_thread(engine.chat_prompt_ids, messages)  # a big prompt takes a while
        sampling = _sampling(body, len(prompt_ids), max_prompt, limits, engine)
        job = _admit(scheduler, lambda cancel: engine.generate(prompt_ids, sampling, cancel,
                                                               stops=tuple(engine.template.stop)))
        ident, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
        if body.stream:
            return _sse(_chat_chunks(job, ident, created, model_id, body.include_usage()))
        text, gen = await _collect(job, request)
        return {"id": ident, "object": "chat.completion", "created": created, "model": model_id,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                             "finish_reason": gen.finish_reason, "logprobs": None}],
                "usage": _usage(gen)}

    @app.post("/v1/completions")
    async def completions(request: Request):
        body = await _parse(request, CompletionRequest, limits.max_body_bytes)
        _check_model(body.model, model_id)
        prompt_ids = await asyncio.to_thread(engine.text_prompt_ids, body.prompt_text())
        sampling = _sampling(body, len(prompt_ids), max_prompt, limits, engine)
        job = _admit(scheduler, lambda cancel: engine.generate(prompt_ids, sampling, cancel))
        ident, created = f"cmpl-{uuid.uuid4().hex}", int(time.time())
        if body.stream:
            return _sse(_completion_chunks(job, ident, created, model_id, body.include_usage()))
        text, gen = await _collect(job, request)
        return {"id": ident, "object": "text_completion", "created": created, "model": model_id,
                "choices": [{"index": 0, "text": text, "finish_reason": gen.finish_reason, "logprobs": None}],
                "usage": _usage(gen)}

    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")

    @app.get("/")
    async def page():
        return FileResponse(str(STATIC_DIR / "index.html"))

    return app


# --- request handling ----------------------------------------------------------------------------


class _Guard:
    """On /v1: the API key (when set) and the declared body size, before any work is done."""

    def __init__(self, app, api_key: str | None, max_body_bytes: int):
        self.app, self.api_key, self.max_body_bytes = app, api_key, max_body_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["path"].startswith("/v1"):
            request = Request(scope)
            error = None
            if self.api_key is not None and not _authorized(request, self.api_key):
                error = ApiError(401, "invalid or missing API key: send `Authorization: Bearer KEY`",
                                 code="invalid_api_key")
            else:
                length = request.headers.get("content-length", "")
                if length.isdigit() and int(length) > self.max_body_bytes:
                    error = _too_large(self.max_body_bytes)
            if error is not None:
                await error.response()(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _authorized(request: Request, api_key: str) -> bool:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    # compare_digest on bytes: constant time whatever the length or content of the guess
    return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), api_key.encode())


def _too_large(cap: int) -> ApiError:
    return ApiError(413, f"request body is larger than {cap} bytes", code="request_too_large")


async def _parse(request: Request, model: type[BaseModel], cap: int):
    """Read at most `cap` bytes (chunked bodies have no Content-Length), parse JSON, validate."""
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > cap:
            raise _too_large(cap)
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ApiError(400, f"request body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ApiError(400, "request body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        param = ".".join(str(p) for p in first["loc"]) or None
        raise ApiError(400, f"invalid field {param}: {first['msg']}", param=param) from None


def _check_model(requested: str | None, served: str) -> None:
    if requested and requested != served:
        raise ApiError(404, f"the model {requested!r} does not exist; this server has {served!r}",
                       param="model", code="model_not_found")


def _sampling(body, prompt_tokens: int, max_prompt: int, limits: Limits, engine: Engine) -> Sampling:
    if prompt_tokens > max_prompt:
        raise ApiError(400, f"the prompt is {prompt_tokens} tokens; this server accepts at most {max_prompt}",
                       param="messages" if isinstance(body, ChatCompletionRequest) else "prompt",
                       code="context_length_exceeded")
    room = engine.context_length - prompt_tokens
    requested = body.requested_tokens()
    param = "max_completion_tokens" if getattr(body, "max_completion_tokens", None) else "max_tokens"
    if requested is not None and requested > limits.max_tokens:
        raise ApiError(400, f"{param} is {requested}; this server allows at most {limits.max_tokens}", param=param)
    if requested is not None and requested > room:
        raise ApiError(400, f"the prompt ({prompt_tokens} tokens) plus {param} ({requested}) exceeds the "
                            f"model's context of {engine.context_length} tokens", param=param,
                       code="context_length_exceeded")
    return Sampling(temperature=body.temperature, top_p=body.top_p,
                    max_new_tokens=requested or min(limits.max_tokens, room),
                    repetition_penalty=body.repetition_penalty, seed=body.seed, stop=body.stop_list())


def _admit(scheduler: Scheduler, make) -> Job:
    if not scheduler.try_admit():
        raise ApiError(429, "the server is busy: too many requests are waiting; retry shortly",
                       kind="rate_limit_error", code="rate_limit_exceeded", headers={"Retry-After": "1"})
    return scheduler.start(make)


async def _collect(job: Job, request: Request) -> tuple[str, Generation]:
    """The whole text of a non-streaming job, cancelling it if the client disconnects meanwhile."""

    async def watch():
        while not job.cancel.is_set():
            if await request.is_disconnected():
                job.cancel.set()
                return
            await asyncio.sleep(0.2)

    watcher = asyncio.create_task(watch())
    try:
        text = await job.text()
    except Exception as exc:
        raise ApiError(500, f"generation failed: {exc}", kind="server_error") from None
    finally:
        watcher.cancel()
    if job.generation is None:  # cancelled while waiting: the client is gone, nobody reads this
        raise ApiError(499, "request cancelled", code="cancelled")
    return text, job.generation


def _usage(gen: Generation) -> dict:
    return {"prompt_tokens": gen.prompt_tokens, "completion_tokens": gen.completion_tokens,
            "total_tokens": gen.prompt_tokens + gen.completion_tokens}


# --- server-sent events --------------------------------------------------------------------------


def _sse(events: AsyncIterator[dict]) -> StreamingResponse:
    async def body():
        try:
            async for event in events:
                yield f"data: {json.dumps(event)}\n\n"
        except Exception as exc:  # headers are gone already: report in the stream, as OpenAI does
            error = ApiError(500, f"generation failed: {exc}", kind="server_error")
            yield f"data: {json.dumps({'error': {'message': error.message, 'type': error.kind}})}\n\n"
            return
        yield "data: [DONE]\n\n"

    return StreamingResponse(body(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})


async def _chat_chunks(job: Job, ident: str, created: int, model: str, usage: bool) -> AsyncIterator[dict]:
    def chunk(delta: dict, finish: str | None = None) -> dict:
        return {"id": ident, "object": "chat.completion.chunk", "created": created, "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}]}

    yield chunk({"role": "assistant", "content": ""})
    async for piece in job.pieces():
        yield chunk({"content": piece})
    yield chunk({}, job.generation.finish_reason)
    if usage:
        yield {"id": ident, "object": "chat.completion.chunk", "created": created, "model": model,
               "choices": [], "usage": _usage(job.generation)}


async def _completion_chunks(job: Job, ident: str, created: int, model: str, usage: bool) -> AsyncIterator[dict]:
    def chunk(text: str, finish: str | None = None) -> dict:
        return {"id": ident, "object": "text_completion", "created": created, "model": model,
                "choices": [{"index": 0, "text": text, "finish_reason": finish, "logprobs": None}]}

    async for piece in job.pieces():
        yield chunk(piece)
    yield chunk("", job.generation.finish_reason)
    if usage:
        yield {"id": ident, "object": "text_completion", "created": created, "model": model,
               "choices": [], "usage": _usage(job.generation)}
