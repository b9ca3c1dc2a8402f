"""A client that goes away at any stage (sending its body, in line, mid-answer) frees its place and its work."""

from __future__ import annotations

import socket
import time

import httpx
import pytest

from labtune.data.conversation import Message
from labtune.serve.api import Limits, create_app

USER = [{"role": "user", "content": "Who presented?"}]


def wait_idle(app, timeout: float = 15) -> None:
    """Until no request holds a place and the model has nothing running or queued."""
    line, served = app.state.line.stats, app.state.served.stats
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if line.admitted == 0 and served.running == 0 and served.pending == 0:
            return
        time.sleep(0.05)
    raise AssertionError(f"not idle: {line}, {served}")


@pytest.fixture
def slow_app(wrap_engine):
    engine = wrap_engine(delay=0.05)
    engine.stop_token_ids = set()  # answers run their whole length: a random model may stop early
    return engine, create_app(engine, limits=Limits(max_tokens=400, max_batch=1, max_waiting=2))


def test_gone_while_sending_the_body(slow_app, live_server):
    engine, app = slow_app
    with live_server(app) as url:
        host, port = url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port))) as sock:
            sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         b"Content-Type: application/json\r\nContent-Length: 400\r\n\r\n{\"messages\": [")
            time.sleep(0.3)
        time.sleep(0.5)
        wait_idle(app)
        assert engine.model.calls == [] and app.state.line.stats.refused == 0
        ok = httpx.post(url + "/v1/chat/completions", json={"messages": USER, "max_tokens": 3}, timeout=60)
        assert ok.status_code == 200


@pytest.mark.parametrize("stream", [True, False])
def test_gone_while_in_line(slow_app, live_server, stream):
    engine, app = slow_app
    line = app.state.line.stats
    waiting_prompt = [{"role": "user", "content": "a question that never reaches the model"}]
    with live_server(app) as url, httpx.Client(timeout=60) as http:
        first = {"messages": USER, "max_tokens": 30, "temperature": 0, "stream": True}
        with http.stream("POST", url + "/v1/chat/completions", json=first) as running:
            lines = running.iter_lines()
            next(lines)  # the first answer is generating; the batch (of one) is full
            body = {"messages": waiting_prompt, "max_tokens": 30, "stream": stream}
            if stream:
                with http.stream("POST", url + "/v1/chat/completions", json=body) as queued:
                    next(queued.iter_lines())  # the stream opened while in line; now the client leaves
            else:
                with pytest.raises(httpx.ReadTimeout):
                    http.post(url + "/v1/chat/completions", json=body, timeout=0.5)
            text = "".join(lines)  # the running answer goes on to its end
        assert "[DONE]" in text and ('"finish_reason": "length"' in text or '"finish_reason": "stop"' in text)
        wait_idle(app)
        assert (line.completed, line.cancelled) == (1, 1)
        queued_ids = engine.chat_prompt_ids([Message("user", waiting_prompt[0]["content"])])
        assert queued_ids not in engine.model.calls  # its prompt was never fed to the model


@pytest.mark.parametrize("stream", [True, False])
def test_gone_mid_answer_stops_the_generation(slow_app, live_server, stream):
    engine, app = slow_app
    line = app.state.line.stats
    body = {"messages": USER, "max_tokens": 400, "temperature": 0, "stream": stream}
    with live_server(app) as url:
        with httpx.Client(timeout=60) as http:
            if stream:
                with http.stream("POST", url + "/v1/chat/completions", json=body) as response:
                    lines = response.iter_lines()
                    next(lines), next(lines)  # the role chunk, then text: it is generating
            else:
                with pytest.raises(httpx.ReadTimeout):
                    http.post(url + "/v1/chat/completions", json=body, timeout=1.0)
        wait_idle(app)
        assert (line.cancelled, line.completed) == (1, 0)
        assert len(engine.model.calls) < 100  # 400 tokens at >= 50 ms each would take 20 s
        after = len(engine.model.calls)
        time.sleep(0.3)
        assert len(engine.model.calls) == after  # nothing runs for it any more
