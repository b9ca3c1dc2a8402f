"""What /openapi.json says beyond the request models: every error status, streamed answers.

FastAPI documents a 422 for every body; this server answers 400 (as OpenAI does), so the 422s
are taken out and the statuses the server really sends are put in.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from labtune.serve.responses import ErrorBody

_WHY = {400: "invalid request (the field is named in `param`)", 401: "missing or wrong API key",
        403: "Host or Origin not allowed", 404: "unknown route or model", 405: "method not allowed",
        408: "the body did not arrive in time", 413: "body too large", 415: "body is not JSON",
        429: "the server is full; retry after `Retry-After` seconds", 500: "server fault (with a request id)"}
ERRORS = {status: {"model": ErrorBody, "description": why} for status, why in _WHY.items()}


def document(kind: str) -> dict:
    """The 200 of a generating endpoint: JSON, or server-sent events with `stream: true`."""
    chunk = "chat.completion.chunk" if kind == "chat" else "text_completion"
    event = {"type": "object", "properties": {"data": {"type": "string", "description": "a JSON chunk, or [DONE]"}},
             "required": ["data"]}
    return {200: {"content": {"text/event-stream": {"schema": event}},
                  "description": f"the answer; with `stream: true`, `data: {{{chunk}}}` events, then `data: [DONE]`"}}


def install(app: FastAPI) -> None:
    def openapi() -> dict:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, summary=app.summary, routes=app.routes)
            for path in schema.get("paths", {}).values():
                for operation in path.values():
                    operation.get("responses", {}).pop("422", None)
            for name in ("HTTPValidationError", "ValidationError"):
                schema.get("components", {}).get("schemas", {}).pop(name, None)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi
