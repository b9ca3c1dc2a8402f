"""The safety rules of a labtune web app, in one place (`labtune serve`'s rules; written so that one
implementation can serve both apps):

- bound to loopback, only requests whose Host is a loopback name are answered (a web page on another
  site cannot reach the server through DNS rebinding);
- with an API key, every call under the protected prefix needs `Authorization: Bearer KEY`
  (constant-time compare); the page itself holds no data and asks for the key when told 401;
- a POST must say `Content-Type: application/json` (a cross-site form cannot, without a CORS preflight
  this server never grants);
- bodies are capped, by Content-Length before any work and while reading a chunked body;
- every error, routing and validation included, is OpenAI's JSON shape
  `{"error": {"message", "type", "param", "code"}}`, and anything a client sends gets a 4xx, not a 500.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Collection

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse

LOOPBACK_BINDS = ("127.0.0.1", "localhost", "::1")
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
SECURITY_HEADERS = [(b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"content-security-policy", b"default-src 'self'; frame-ancestors 'none'")]


class HttpError(Exception):
    """An error answered in OpenAI's shape."""

    def __init__(self, status: int, message: str, param: str | None = None, code: str | None = None,
                 kind: str = "invalid_request_error", headers: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.param, self.code, self.kind, self.headers = (status, message, param, code,
                                                                                      kind, headers)

    def response(self) -> JSONResponse:
        body = {"error": {"message": self.message, "type": self.kind, "param": self.param, "code": self.code}}
        return JSONResponse(body, status_code=self.status, headers=self.headers)


def allowed_hosts_for(bind: str) -> frozenset[str] | None:
    """The Host names to accept: the loopback names when bound to loopback, else any (the key guards)."""
    return LOOPBACK_HOSTS if bind in LOOPBACK_BINDS else None


def host_name(header: str) -> str:
    """'127.0.0.1:8000' -> '127.0.0.1', '[::1]:8000' -> '::1', 'LocalHost' -> 'localhost'."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:header.find("]")] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


class Guard:
    """ASGI middleware: Host allow-list, API key, JSON content type and body size, before any work."""

    def __init__(self, app, api_key: str | None = None, allowed_hosts: Collection[str] | None = None,
                 max_body_bytes: int = 1 << 16, protected_prefix: str = "/api"):
        self.app, self.api_key, self.max_body_bytes = app, api_key, max_body_bytes
        self.allowed_hosts = frozenset(h.lower() for h in allowed_hosts) if allowed_hosts is not None else None
        self.protected_prefix = protected_prefix

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": list(message.get("headers", [])) + SECURITY_HEADERS}
            await send(message)

        error = self.check(Request(scope))
        if error is not None:
            await error.response()(scope, receive, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)

    def check(self, request: Request) -> HttpError | None:
        if self.allowed_hosts is not None and host_name(request.headers.get("host", "")) not in self.allowed_hosts:
            return HttpError(400, "this server answers only requests for a loopback host name (Host header)",
                             code="host_not_allowed")
        if (self.api_key is not None and request.url.path.startswith(self.protected_prefix)
                and not authorized(request, self.api_key)):
            return HttpError(401, "invalid or missing API key: send `Authorization: Bearer KEY`", code="invalid_api_key")
        if request.method in ("POST", "PUT", "PATCH"):
            media = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if media != "application/json":
                return HttpError(415, "the request body must be JSON (Content-Type: application/json)",
                                 code="unsupported_media_type")
            length = request.headers.get("content-length", "")
            if length.isdigit() and int(length) > self.max_body_bytes:
                return too_large(self.max_body_bytes)
        return None


def authorized(request: Request, api_key: str) -> bool:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    # compare_digest on bytes: constant time whatever the length or content of the guess
    return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), api_key.encode())


def too_large(cap: int) -> HttpError:
    return HttpError(413, f"request body is larger than {cap} bytes", code="request_too_large")


async def read_json(request: Request, model: type[BaseModel], cap: int):
    """Read at most `cap` bytes (a chunked body has no Content-Length), parse JSON, validate."""
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > cap:
            raise too_large(cap)
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise HttpError(400, f"request body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise HttpError(400, "request body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        param = ".".join(str(p) for p in first["loc"]) or None
        raise HttpError(400, f"invalid field {param}: {first['msg']}", param=param) from None


def install_error_handlers(app: FastAPI) -> None:
    """Every error in OpenAI's shape: our own, routing's (404, 405), FastAPI's validation (as 400), and
    a bug's (500, which no client input should reach)."""

    @app.exception_handler(HttpError)
    async def _own(request: Request, exc: HttpError):
        return exc.response()

    @app.exception_handler(StarletteHTTPException)
    async def _routing(request: Request, exc: StarletteHTTPException):
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code)
        return HttpError(exc.status_code, str(exc.detail), code=code, headers=getattr(exc, "headers", None)).response()

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception):  # a bug of ours, still answered in the same shape
        return HttpError(500, "internal error", kind="server_error", code="internal_error").response()

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        param = ".".join(str(p) for p in first["loc"]) or None
        return HttpError(400, f"invalid {param}: {first['msg']}", param=param).response()
