"""What every request passes before an endpoint sees it, and how errors leave the server.

`Guard` (a plain ASGI middleware, so endpoints still see a client's disconnect) guards every labtune
web app (the API server and the arena). It gives each request an id, then refuses, in OpenAI's error
shape and before reading the body:
- a `Host` (or `Origin`) not on the allow-list: with the default loopback binding only local names
  pass, so a web page on another site cannot reach the server through DNS rebinding;
- a missing or wrong API key on the protected paths (/v1 and /metrics for serve; constant-time compare);
- a POST that is not `Content-Type: application/json`: a cross-site page can send text/plain
  without asking the browser first, JSON it cannot;
- a declared body larger than the cap.
An exception that escapes an endpoint becomes a generic 500 naming the request id; the detail goes
to the server log only; `install_error_handlers` puts routing and validation errors in the same
shape. `BoundedRequest` reads a body within a size cap and a deadline (a client
trickling bytes is cut off) and parses JSON without Python's recursion or big-integer failures.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import logging
import uuid
from urllib.parse import urlsplit

import pydantic_core
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

from labtune.serve.schemas import ApiError, server_error

log = logging.getLogger("labtune.serve")

LOCAL_NAMES = frozenset({"localhost"})
LOOPBACK_BINDS = ("127.0.0.1", "localhost", "::1")
PROTECTED = ("/v1", "/metrics")


def host_allow_list(bind: str, extra: list[str] | None = None) -> frozenset[str] | None:
    """Host names a server bound to `bind` answers besides local ones; None: any name.

    Bound to loopback, only local names (and `extra`) pass: DNS rebinding cannot reach it. Bound to an
    address others reach, the names they use are not known here unless `extra` gives them."""
    if bind in LOOPBACK_BINDS or extra:
        return frozenset(h.lower() for h in extra or ())
    return None


def request_id(request: Request) -> str:
    return request.scope.get("state", {}).get("request_id", "-")


def host_allowed(host: str, allowed: frozenset[str]) -> bool:
    """`host` is a Host header value or an Origin's netloc: a name or address, maybe with a port."""
    name = urlsplit(f"//{host}").hostname or ""
    name = name.rstrip(".").lower()
    if name in allowed or name in LOCAL_NAMES or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


class Guard:
    """`protected`: path prefixes that need the key; `headers`: added to every response."""

    def __init__(self, app, api_key: str | None, max_body_bytes: int, allowed_hosts: frozenset[str] | None,
                 protected: tuple[str, ...] = PROTECTED, headers: tuple[tuple[bytes, bytes], ...] = ()):
        self.app, self.api_key, self.max_body_bytes = app, api_key, max_body_bytes
        self.allowed_hosts = allowed_hosts  # None: any Host (bound to a public address; the key protects it)
        self.protected, self.headers = protected, list(headers)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        ident = f"req_{uuid.uuid4().hex[:24]}"
        scope.setdefault("state", {})["request_id"] = ident
        started = False

        async def send_with_id(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = [*message.get("headers", []), (b"x-request-id", ident.encode()), *self.headers]
            await send(message)

        error = self.check(Request(scope))
        if error is not None:
            return await error.response()(scope, receive, send_with_id)
        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            log.exception("request %s (%s %s) failed", ident, scope.get("method"), scope.get("path"))
            if not started:
                await server_error(ident).response()(scope, receive, send_with_id)

    def check(self, request: Request) -> ApiError | None:
        if self.allowed_hosts is not None:
            host = request.headers.get("host", "")
            if not host_allowed(host, self.allowed_hosts):
                return ApiError(403, "this server answers only to local host names; start it with "
                                     "--allow-host NAME to add one", code="host_not_allowed")
            origin = request.headers.get("origin")
            if origin is not None and not host_allowed(urlsplit(origin).netloc, self.allowed_hosts):
                return ApiError(403, "requests from web pages of other sites are refused", code="origin_not_allowed")
        if self.api_key is not None and request.url.path.startswith(self.protected) and not self.authorized(request):
            return ApiError(401, "invalid or missing API key: send `Authorization: Bearer KEY`",
                            code="invalid_api_key")
        if request.method == "POST":
            kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if kind != "application/json":
                return ApiError(415, "send the body as JSON with `Content-Type: application/json`",
                                code="unsupported_media_type")
            length = request.headers.get("content-length", "")
            if length.isdigit() and int(length) > self.max_body_bytes:
                return too_large(self.max_body_bytes)
        return None

    def authorized(self, request: Request) -> bool:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        # compare_digest on bytes: constant time whatever the length or content of the guess
        return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), self.api_key.encode())


def install_error_handlers(app: FastAPI) -> None:
    """Every error in OpenAI's shape: ours, FastAPI's validation (as 400), and Starlette's 404/405."""

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        if isinstance(exc, ApiError):
            return exc.response()
        kind = {404: f"Invalid URL ({request.method} {request.url.path})",
                405: f"Method {request.method} is not allowed on {request.url.path}"}
        message = kind.get(exc.status_code, str(exc.detail))
        return ApiError(exc.status_code, message, code={404: "not_found", 405: "method_not_allowed"}.get(
            exc.status_code), headers=exc.headers).response()

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        first = exc.errors()[0]
        loc = [str(p) for p in first.get("loc", ()) if p != "body"]
        param = ".".join(loc) or None
        why = first["msg"].removeprefix("Value error, ")
        message = f"invalid field {param}: {why}" if param else f"invalid request body: {why}"
        if first.get("type") == "missing" and not loc:
            message = "the request needs a JSON body"
        return ApiError(400, message, param=param).response()


def too_large(cap: int) -> ApiError:
    return ApiError(413, f"request body is larger than {cap} bytes", code="request_too_large")


class BoundedRequest(Request):
    max_body_bytes = 1 << 20
    body_seconds = 10.0

    async def body(self) -> bytes:
        if not hasattr(self, "_body"):
            loop = asyncio.get_running_loop()
            deadline = loop.time() + self.body_seconds
            chunks, size = [], 0
            stream = self.stream().__aiter__()
            while True:
                try:
                    chunk = await asyncio.wait_for(stream.__anext__(), max(deadline - loop.time(), 0))
                except StopAsyncIteration:
                    break
                except (TimeoutError, asyncio.TimeoutError):
                    raise ApiError(408, f"the request body did not arrive within {self.body_seconds:g} s",
                                   code="request_timeout", headers={"Connection": "close"}) from None
                except ClientDisconnect:
                    raise ApiError(400, "the client went away while sending the body", code="client_disconnected") \
                        from None
                size += len(chunk)
                if size > self.max_body_bytes:
                    raise too_large(self.max_body_bytes)
                chunks.append(chunk)
            self._body = b"".join(chunks)
        return self._body

    async def json(self):
        if not hasattr(self, "_json"):
            try:
                self._json = pydantic_core.from_json(await self.body(), allow_inf_nan=False)
            except ValueError as exc:  # jiter's message: what and where, never a Python internal
                raise ApiError(400, f"request body is not valid JSON: {exc}", code="invalid_json") from None
        return self._json


def bounded_route(max_body_bytes: int, body_seconds: float) -> type[APIRoute]:
    """A route class whose requests read their body through `BoundedRequest` with these limits."""
    request_class = type("Bounded", (BoundedRequest,), {"max_body_bytes": max_body_bytes,
                                                         "body_seconds": body_seconds})

    class Route(APIRoute):
        def get_route_handler(self):
            handler = super().get_route_handler()

            async def bounded(request: Request):
                return await handler(request_class(request.scope, request.receive))

            return bounded

    return Route
