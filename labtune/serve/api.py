"""OpenAI-compatible API and the web chat page, for one model, in one process.

Safe by default (see `labtune.serve.http`): loopback host names only, an API key when one is set,
JSON bodies only, capped and read within a deadline. A request takes a place in line before any
work is done for it (a full server answers 429 at once), its prompt is refused by length before
it is tokenized, and it runs batched with every other request in the engine's thread; a client
that goes away (while sending, in line, or mid-answer) frees its place and stops its answer.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import resources
from typing import AsyncIterator

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, PlainTextResponse
from fastapi.staticfiles import StaticFiles

from labtune.data.conversation import Message
from labtune.errors import LabtuneError
from labtune.retrieval import DEFAULT_K, NotesIndex, open_book
from labtune.serve.engine import ServingEngine
from labtune.serve.http import Guard, bounded_route, install_error_handlers, request_id
from labtune.serve.jobs import Job, Line
from labtune.serve.openapi import ERRORS, document, install
from labtune.serve.responses import (ChatCompletion, Completion, Health, ModelList, Reply, models_list, sse)
from labtune.serve.sampling import Sampling
from labtune.serve.schemas import ApiError, ChatCompletionRequest, CompletionRequest, capped, server_error

STATIC_DIR = resources.files("labtune.serve") / "static"
LOOPBACK_ONLY = frozenset()  # allowed_hosts: local names and loopback addresses, nothing more
log = logging.getLogger("labtune.serve")


@dataclass(frozen=True)
class Limits:
    max_body_bytes: int = 1 << 20
    body_seconds: float = 10.0  # the whole body must arrive within this
    max_prompt_tokens: int | None = None  # None: the model's context length
    max_tokens: int = 1024  # cap on max_tokens per request (and the default when a request sets none)
    max_batch: int = 8  # answers generated together
    max_waiting: int = 8  # requests that may wait beyond a full batch; more get 429


def create_app(engine: ServingEngine, api_key: str | None = None, limits: Limits = Limits(),
               model_name: str | None = None, allowed_hosts: frozenset[str] | None = LOOPBACK_ONLY,
               index: NotesIndex | None = None, notes_k: int = DEFAULT_K) -> FastAPI:
    """`allowed_hosts`: extra names the Host header may carry (local ones always pass); None: any.
    `index`: chat answers are open-book, with the retrieved notes named in `labtune.notes`."""
    served = engine.serving(max_batch=limits.max_batch)
    line = Line(limits.max_batch + limits.max_waiting)
    tokenizing = ThreadPoolExecutor(max_workers=1, thread_name_prefix="labtune-tokenize")
    model_id = model_name or engine.model_id
    max_prompt = min(limits.max_prompt_tokens or engine.context_length, engine.context_length - 1)
    max_chars = engine.max_prompt_chars(max_prompt)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        served.close()
        tokenizing.shutdown(wait=False, cancel_futures=True)

    app = FastAPI(title="labtune", summary="OpenAI-compatible API of one labtune model", version="1",
                  docs_url=None, redoc_url=None, lifespan=lifespan)
    app.state.line, app.state.served = line, served
    app.add_middleware(Guard, api_key=api_key, max_body_bytes=limits.max_body_bytes, allowed_hosts=allowed_hosts)
    install_error_handlers(app)
    v1 = APIRouter(route_class=bounded_route(limits.max_body_bytes, limits.body_seconds), responses=ERRORS)

    @app.get("/health", response_model=Health)
    async def health():
        return {"status": "ok"}

    app.head("/health", include_in_schema=False)(health)  # load balancers and curl -I ask with HEAD

    @app.get("/metrics", response_class=PlainTextResponse)
    async def metrics():
        """Prometheus text: requests holding a place, in the batch, waiting for it, and totals."""
        counts = {"admitted": line.stats.admitted, "running": served.stats.running, "queued": served.stats.pending}
        totals = {k: getattr(line.stats, k) for k in ("completed", "cancelled", "failed", "rejected", "refused")}
        lines = [f"labtune_requests_{k} {v}" for k, v in counts.items()]
        lines += [f"labtune_requests_{k}_total {v}" for k, v in totals.items()]
        lines += [f"labtune_decode_steps_total {served.stats.steps}", f"labtune_largest_batch {served.stats.largest_batch}"]
        return "\n".join(lines) + "\n"

    @v1.get("/v1/models", response_model=ModelList)
    async def models():
        return models_list(model_id)

    async def chat_completions(body: ChatCompletionRequest, request: Request):
        reply = Reply("chat", model_id)

        def prompt_ids() -> list[int]:  # after admission, in the tokenizing thread
            messages = [Message("system" if m.role == "developer" else m.role, m.text()) for m in body.messages]
            if index is not None:
                messages, sources = open_book(messages, index, notes_k)
                reply.extra = {"labtune": {"notes": sources}}
            return engine.chat_prompt_ids(messages)

        return await answer(request, body, reply, prompt_ids)

    async def completions(body: CompletionRequest, request: Request):
        return await answer(request, body, Reply("text", model_id), lambda: engine.text_prompt_ids(body.prompt_text()))

    # The bodies are this server's models (their max_tokens says its cap), set as real classes:
    # FastAPI reads them from the annotations, which `from __future__ import annotations` makes strings.
    chat_body, text_body = capped(limits.max_tokens)
    chat_completions.__annotations__.update(body=chat_body, request=Request)
    completions.__annotations__.update(body=text_body, request=Request)
    v1.post("/v1/chat/completions", response_model=ChatCompletion, response_model_exclude_unset=True,
            responses=document("chat"))(chat_completions)
    v1.post("/v1/completions", response_model=Completion, responses=document("text"))(completions)

    async def answer(request: Request, body, reply: Reply, prompt_ids):
        if body.model and body.model != model_id:
            raise ApiError(404, f"the model {body.model!r} does not exist; this server has {model_id!r}",
                           param="model", code="model_not_found")
        ticket = line.enter()
        if ticket is None:
            raise ApiError(429, "the server is busy: too many requests are waiting; retry shortly",
                           kind="rate_limit_error", code="rate_limit_exceeded", headers={"Retry-After": "1"})
        try:
            job = Job(ticket)
            where = "messages" if reply.kind == "chat" else "prompt"
            if body.prompt_chars() > max_chars:
                raise too_long(where, f"more than {max_chars} characters")
            ids = await tokenize(request, prompt_ids)
            if len(ids) > max_prompt:
                raise too_long(where, f"{len(ids)} tokens")
            sampling = sampling_of(body, len(ids))
            job.handle = served.start(ids, sampling, job, chat=reply.kind == "chat")
        except BaseException:
            ticket.leave("refused")
            raise
        if body.stream:
            return sse(stream(job, reply, body.include_usage(), request_id(request)))
        return await whole(job, reply, request)

    async def tokenize(request: Request, prompt_ids) -> list[int]:
        try:
            return await asyncio.get_running_loop().run_in_executor(tokenizing, prompt_ids)
        except LabtuneError as exc:  # the template cannot render this conversation
            log.warning("request %s: %s", request_id(request), exc)
            raise ApiError(400, "the messages cannot be put in this model's chat template (request id "
                                f"{request_id(request)})", param="messages", code="invalid_messages") from None

    def too_long(param: str, size: str) -> ApiError:
        return ApiError(400, f"the prompt is {size}; this server accepts at most {max_prompt} tokens",
                        param=param, code="context_length_exceeded")

    def sampling_of(body, prompt_tokens: int) -> Sampling:
        room = engine.context_length - prompt_tokens
        param, requested = body.requested_tokens()
        if requested is not None and requested > limits.max_tokens:
            raise ApiError(400, f"{param} is {requested}; this server allows at most {limits.max_tokens}", param=param)
        if requested is not None and requested > room:
            raise ApiError(400, f"the prompt ({prompt_tokens} tokens) plus {param} ({requested}) exceeds the "
                                f"model's context of {engine.context_length} tokens", param=param,
                           code="context_length_exceeded")
        return Sampling(temperature=1.0 if body.temperature is None else body.temperature,
                        top_p=1.0 if body.top_p is None else body.top_p,
                        max_new_tokens=requested or min(limits.max_tokens, room),
                        repetition_penalty=body.repetition_penalty or 1.0, seed=body.seed, stop=body.stop_list())

    app.include_router(v1)
    install(app)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")

    @app.get("/", include_in_schema=False)
    async def page():
        return FileResponse(str(STATIC_DIR / "index.html"))

    return app


async def whole(job: Job, reply: Reply, request: Request) -> dict:
    """The whole answer, cancelling it if the client disconnects meanwhile."""

    async def watch():
        while True:
            if await request.is_disconnected():
                job.cancel()
                return
            await asyncio.sleep(0.25)

    watcher = asyncio.create_task(watch())
    try:
        await job.text_until_done()
    finally:
        watcher.cancel()
    gen = job.generation
    if gen.finish_reason == "error":
        raise server_error(request_id(request))
    if gen.finish_reason == "cancelled":  # the client is gone: nobody reads this
        raise ApiError(499, "request cancelled", code="cancelled")
    return reply.whole(gen)


async def stream(job: Job, reply: Reply, include_usage: bool, ident: str) -> AsyncIterator[dict]:
    for chunk in reply.opening():
        yield chunk
    async for piece in job.pieces():
        yield reply.piece(piece)
    if job.generation.finish_reason == "error":  # headers are gone already: report in the stream
        yield server_error(ident).body()
        return
    for chunk in reply.closing(job.generation, include_usage):
        yield chunk


