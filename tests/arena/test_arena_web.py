"""The arena's JSON API: anonymous answers, the vote and its reveal, and labtune serve's safety rules."""

from __future__ import annotations

import threading

import httpx
import pytest
from fastapi.testclient import TestClient

from labtune.arena.web import create_app
from labtune.serve.http import host_allow_list

KEY = "s3cret"


@pytest.fixture
def client(arena):
    return TestClient(create_app(arena), raise_server_exceptions=False)


def assert_openai_error(response, status: int, code: str | None = None, param: str | None = None):
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"} and error["message"]
    if code is not None:
        assert error["code"] == code
    if param is not None:
        assert error["param"] == param


def test_a_match_is_anonymous_and_the_vote_reveals_the_names(client, arena):
    match = client.get("/api/match").json()
    assert set(match) == {"id", "question", "answer_a", "answer_b"}
    assert not any(name in str(match) for name in arena.names)
    reveal = client.post("/api/vote", json={"id": match["id"], "winner": "b", "voter": "Jane Doe"}).json()
    assert {reveal["model_a"], reveal["model_b"]} <= set(arena.names) and reveal["model_a"] != reveal["model_b"]
    [vote] = arena.store.votes()
    assert (vote.voter, vote.prompt, vote.winner, vote.judge) == ("Jane Doe", match["question"], "model_b", False)
    assert (vote.model_a, vote.model_b) == (reveal["model_a"], reveal["model_b"])  # A is the one shown first
    assert (vote.answer_a, vote.answer_b) == (match["answer_a"], match["answer_b"])
    assert client.get("/api/info").json() == {"models": 3, "questions": 3, "votes": 1}


def test_each_choice_is_stored_under_fastchats_winner_name(client, arena):
    for choice in ("a", "b", "tie", "bothbad"):
        match = client.get("/api/match").json()
        assert client.post("/api/vote", json={"id": match["id"], "winner": choice}).status_code == 200
    assert [v.winner for v in arena.store.votes()] == ["model_a", "model_b", "tie", "tie (bothbad)"]
    assert {v.voter for v in arena.store.votes()} == {"anonymous"}


def test_a_match_takes_one_vote_and_bad_votes_are_400s(client, arena):
    match = client.get("/api/match").json()
    assert_openai_error(client.post("/api/vote", json={"id": match["id"], "winner": "left"}), 400, "invalid_winner", "winner")
    assert_openai_error(client.post("/api/vote", json={"id": match["id"], "winner": "a", "voter": "x\x00y"}), 400,
                        "invalid_voter", "voter")
    assert client.post("/api/vote", json={"id": match["id"], "winner": "a"}).status_code == 200
    assert_openai_error(client.post("/api/vote", json={"id": match["id"], "winner": "a"}), 404, "match_not_found", "id")
    assert_openai_error(client.post("/api/vote", json={"id": "made-up", "winner": "a"}), 404, "match_not_found")
    assert arena.store.count() == 1


@pytest.mark.parametrize("body", [b"[]", b'"vote"', b"null", b"{", b'{"id": 5, "winner": "a"}', b'{"winner": "a"}',
                                  b'{"id": "' + b"x" * 100 + b'", "winner": "a"}', b"\xff\xfe", b'{"id": "x", "winner": 1}'])
def test_malformed_bodies_get_400_never_500(client, body):
    response = client.post("/api/vote", content=body, headers={"Content-Type": "application/json"})
    assert_openai_error(response, 400)


def test_posts_must_be_json_and_small(client, arena):
    form = client.post("/api/vote", content=b"id=x&winner=a", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_openai_error(form, 415, "unsupported_media_type")
    assert_openai_error(client.post("/api/vote", content=b"{}", headers={"Content-Type": "text/plain"}), 415)
    big = b'{"id": "x", "winner": "a", "voter": "' + b"v" * 70_000 + b'"}'
    assert_openai_error(client.post("/api/vote", content=big, headers={"Content-Type": "application/json"}), 413,
                        "request_too_large")

    def chunked():  # no Content-Length: the cap applies while reading
        for _ in range(80):
            yield b" " * 1000

    assert_openai_error(client.post("/api/vote", content=chunked(), headers={"Content-Type": "application/json"}), 413)


def test_routing_errors_are_in_openais_shape_with_security_headers(client):
    missing = client.get("/api/nothing")
    assert_openai_error(missing, 404, "not_found")
    assert missing.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in missing.headers["content-security-policy"]
    assert_openai_error(client.get("/api/vote"), 405, "method_not_allowed")
    page = client.get("/")
    assert page.status_code == 200 and "labtune arena" in page.text
    assert client.get("/static/arena.js").status_code == 200


def test_on_loopback_only_loopback_host_names_are_answered(arena):
    client = TestClient(create_app(arena, allowed_hosts=host_allow_list("127.0.0.1")), base_url="http://127.0.0.1:8001")
    assert client.get("/api/info").status_code == 200
    for host in ("localhost:8001", "[::1]:8001", "LOCALHOST"):
        assert client.get("/api/info", headers={"Host": host}).status_code == 200
    for host in ("evil.example:8001", "127.0.0.1.evil.example", ""):
        assert_openai_error(client.get("/", headers={"Host": host}), 403, "host_not_allowed")
    cross_site = client.post("/api/vote", json={"id": "x", "winner": "a"}, headers={"Origin": "https://evil.example"})
    assert_openai_error(cross_site, 403, "origin_not_allowed")


def test_with_an_api_key_the_api_needs_it_and_the_page_does_not(arena):
    client = TestClient(create_app(arena, api_key=KEY))
    assert_openai_error(client.get("/api/match"), 401, "invalid_api_key")
    assert_openai_error(client.get("/api/match", headers={"Authorization": "Bearer wrong"}), 401)
    assert client.get("/").status_code == 200
    match = client.get("/api/match", headers={"Authorization": f"Bearer {KEY}"}).json()
    assert_openai_error(client.post("/api/vote", json={"id": match["id"], "winner": "a"}), 401)
    voted = client.post("/api/vote", json={"id": match["id"], "winner": "a"}, headers={"Authorization": f"Bearer {KEY}"})
    assert voted.status_code == 200


def test_eight_voters_at_once_lose_no_vote(arena, live_server):
    rounds, errors = 12, []

    def voter(n: int) -> None:
        with httpx.Client(base_url=url, timeout=60) as http:
            for _ in range(rounds):
                match = http.get("/api/match").json()
                reply = http.post("/api/vote", json={"id": match["id"], "winner": ["a", "b", "tie", "bothbad"][n % 4],
                                                     "voter": f"voter-{n}"})
                if reply.status_code != 200:
                    errors.append(reply.text)

    with live_server(create_app(arena)) as url:
        start = [threading.Thread(target=voter, args=(n,)) for n in range(8)]
        for t in start:
            t.start()
        for t in start:
            t.join(timeout=120)
    assert not errors
    votes = arena.store.votes()
    assert len(votes) == 8 * rounds
    assert {v.voter: sum(w.voter == v.voter for w in votes) for v in votes} == {f"voter-{n}": rounds for n in range(8)}


def test_a_bug_is_still_answered_in_openais_shape(arena, monkeypatch):
    client = TestClient(create_app(arena), raise_server_exceptions=False)
    monkeypatch.setattr(arena, "deal", lambda: 1 / 0)
    assert_openai_error(client.get("/api/match"), 500, "internal_error")
