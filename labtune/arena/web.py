"""The arena web page and its JSON API, one FastAPI app behind serve's guard (`labtune.serve.http`):
the same Host/Origin, key, JSON and body-size rules and error shape, with the key on /api.

GET  /api/info   how many models, questions and votes
GET  /api/match  {"id", "question", "answer_a", "answer_b"}: a question and two anonymous answers
POST /api/vote   {"id", "winner": "a" | "b" | "tie" | "bothbad", "voter"?} -> the names, revealed
"""

from __future__ import annotations

import asyncio
import sqlite3
from importlib import resources

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field

from labtune.arena.battles import Arena, MatchError
from labtune.errors import LabtuneError
from labtune.serve.http import Guard, bounded_route, install_error_handlers
from labtune.serve.schemas import ApiError

STATIC_DIR = resources.files("labtune.arena") / "static"
# The page is plain files with no inline script or style, so it can forbid everything else.
SECURITY_HEADERS = ((b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"content-security-policy", b"default-src 'self'; frame-ancestors 'none'"))
BODY_SECONDS = 10.0


class VoteRequest(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)
    id: str = Field(min_length=1, max_length=64)
    winner: str
    voter: str = "anonymous"


def create_app(arena: Arena, api_key: str | None = None, allowed_hosts=None, max_body_bytes: int = 1 << 16) -> FastAPI:
    app = FastAPI(title="labtune arena", docs_url=None, redoc_url=None, openapi_url=None)
    install_error_handlers(app)
    app.add_middleware(Guard, api_key=api_key, allowed_hosts=allowed_hosts, max_body_bytes=max_body_bytes,
                       protected=("/api",), headers=SECURITY_HEADERS)
    app.state.arena = arena
    api = APIRouter(route_class=bounded_route(max_body_bytes, BODY_SECONDS))

    @app.get("/health")
    async def health():
        return {"status": "ok"}

    @api.get("/api/info")
    async def info():
        votes = await asyncio.to_thread(arena.store.count)
        return {"models": len(arena.names), "questions": len(arena.questions), "votes": votes}

    @api.get("/api/match")
    async def match():
        dealt = arena.deal()
        return {"id": dealt.id, "question": dealt.question.text, "answer_a": dealt.answer_a,
                "answer_b": dealt.answer_b}

    @api.post("/api/vote")
    async def vote(body: VoteRequest):
        try:
            dealt, recorded = await asyncio.to_thread(arena.vote, body.id, body.winner, body.voter)
        except MatchError as exc:
            param = {"invalid_winner": "winner", "invalid_voter": "voter", "match_not_found": "id"}.get(exc.code)
            raise ApiError(exc.status, str(exc), param=param, code=exc.code) from None
        except (LabtuneError, sqlite3.Error) as exc:  # the database is locked for too long, or gone
            raise ApiError(503, f"the vote could not be stored: {exc}; try again", kind="server_error",
                            code="store_unavailable", headers={"Retry-After": "1"}) from None
        return {"id": dealt.id, "vote": recorded.id, "winner": body.winner, "model_a": dealt.model_a,
                "model_b": dealt.model_b}

    app.include_router(api)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")

    @app.get("/")
    async def page():
        return FileResponse(str(STATIC_DIR / "arena.html"))

    return app
