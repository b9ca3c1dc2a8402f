"""Regression tests for what a probe of the server found: each once gave a 500, leaked, or let a web page in."""

from __future__ import annotations

import copy
import json
import logging
import socket
import time

import httpx
import pytest

from labtune.serve.api import Limits, create_app

USER = [{"role": "user", "content": "Who presented?"}]
JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def server(tiny_engine, live_server):
    app = create_app(tiny_engine, model_name="tiny", limits=Limits(max_tokens=16, body_seconds=2.0))
    with live_server(app) as url:
        yield url, app


def post(url: str, path: str, body: dict | bytes, **kw) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return httpx.post(url + path, content=content, headers=kw.pop("headers", JSON), timeout=60, **kw)


def error_of(response: httpx.Response) -> dict:
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"message", "type", "param", "code"}, body
    return body["error"]


def chat(url: str, **fields) -> httpx.Response:
    return post(url, "/v1/chat/completions", {"messages": USER, "max_tokens": 4, **fields})


def test_temperature_of_1e_300_is_greedy_not_nan(server):
    url, _ = server
    tiny = chat(url, temperature=1e-300)
    assert tiny.status_code == 200, tiny.text
    assert tiny.json()["choices"][0]["message"]["content"] == \
        chat(url, temperature=0).json()["choices"][0]["message"]["content"]


def test_a_seed_beyond_jsons_exact_integers_is_refused_naming_it(server):
    url, _ = server
    assert error_of(chat(url, seed=2**53))["param"] == "seed"
    assert error_of(chat(url, seed=-(2**63) - 191))["param"] == "seed"  # a double would call it -2**63
    assert chat(url, seed=2**53 - 1, temperature=1.0).status_code == 200
    assert chat(url, seed=-(2**53 - 1), temperature=1.0).status_code == 200


@pytest.mark.parametrize("raw", [b'{"messages": [], "max_tokens": ' + b"9" * 5001 + b"}",
                                 b'{"messages": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
                                 b'{"messages": [{"role": "user", "content": "\\ud800"}]}',
                                 b'{"messages": [{"role": "user", "content": "caf\xe9"}]}',
                                 b'{"messages": [{"role": "user", "content": "hi"}], "temperature": NaN}',
                                 b"[1, 2", b""])
def test_malformed_json_is_400_naming_no_internals(server, raw):
    response = post(server[0], "/v1/chat/completions", raw)
    assert response.status_code == 400, response.text
    error = error_of(response)
    assert error["type"] == "invalid_request_error"
    assert "Traceback" not in error["message"] and "site-packages" not in error["message"]


def test_a_surrogate_pair_is_one_character_and_fine(server):
    raw = b'{"messages": [{"role": "user", "content": "\\ud83d\\ude00"}], "max_tokens": 2}'
    assert post(server[0], "/v1/chat/completions", raw).status_code == 200


def test_a_conversation_without_a_user_message_is_refused(server):
    response = post(server[0], "/v1/chat/completions", {"messages": [{"role": "assistant", "content": "hi"}]})
    error = error_of(response)
    assert response.status_code == 400 and error["param"] == "messages" and "user message" in error["message"]


def test_an_empty_completion_prompt_starts_from_the_bos_token(server):
    response = post(server[0], "/v1/completions", {"prompt": "", "max_tokens": 3})
    assert response.status_code == 200, response.text
    assert response.json()["usage"]["prompt_tokens"] == 1


@pytest.mark.parametrize("field,value", [("max_tokens", "5"), ("stream", "yes"), ("temperature", "0.5"),
                                         ("max_tokens", True), ("n", "1")])
def test_strict_types_refuse_what_only_looks_right(server, field, value):
    response = chat(server[0], **{field: value})
    assert response.status_code == 400 and error_of(response)["param"] == field


def test_cross_site_text_plain_post_is_refused_before_any_work(server):
    url, app = server
    steps = app.state.served.stats.steps
    response = post(url, "/v1/chat/completions", {"messages": USER}, headers={"Content-Type": "text/plain"})
    assert response.status_code == 415 and error_of(response)["code"] == "unsupported_media_type"
    assert app.state.served.stats.steps == steps


@pytest.mark.parametrize("host,allowed", [("evil.example", False), ("evil.example:8000", False),
                                          ("127.0.0.1:1", True), ("localhost", True), ("[::1]:8000", True),
                                          ("127.9.9.9", True), ("app.localhost", True), ("10.0.0.1", False)])
def test_only_local_host_names_reach_a_loopback_server(server, host, allowed):
    for path in ("/v1/models", "/"):
        response = httpx.get(server[0] + path, headers={"Host": host})
        assert (response.status_code == 200) == allowed, (path, host, response.status_code)
        if not allowed:
            assert response.status_code == 403 and error_of(response)["code"] == "host_not_allowed"


def test_a_page_from_another_site_is_refused_by_its_origin(server):
    url = server[0]
    refused = httpx.post(url + "/v1/chat/completions", json={"messages": USER, "max_tokens": 2},
                         headers={"Origin": "https://evil.example"})
    assert refused.status_code == 403 and error_of(refused)["code"] == "origin_not_allowed"
    own_page = httpx.post(url + "/v1/chat/completions", json={"messages": USER, "max_tokens": 2}, headers={"Origin": url})
    assert own_page.status_code == 200


def test_allow_host_adds_a_name_and_none_means_any(tiny_engine, live_server):
    with live_server(create_app(tiny_engine, allowed_hosts=frozenset({"lab.example"}))) as url:
        assert httpx.get(url + "/v1/models", headers={"Host": "lab.example:80"}).status_code == 200
        assert httpx.get(url + "/v1/models", headers={"Host": "evil.example"}).status_code == 403
    with live_server(create_app(tiny_engine, allowed_hosts=None)) as url:
        assert httpx.get(url + "/v1/models", headers={"Host": "evil.example"}).status_code == 200


def test_not_found_and_wrong_method_are_in_openai_shape(server):
    missing = httpx.post(server[0] + "/v1/nothing", json={})
    assert missing.status_code == 404 and error_of(missing)["message"] == "Invalid URL (POST /v1/nothing)"
    wrong = httpx.get(server[0] + "/v1/chat/completions")
    assert wrong.status_code == 405 and error_of(wrong)["code"] == "method_not_allowed"
    assert httpx.head(server[0] + "/health").status_code == 200


def tiny_tokenizer_word(wrap_engine) -> int:
    return wrap_engine().tokenizer("hello", add_special_tokens=False)["input_ids"][0]


def test_a_full_server_refuses_before_tokenizing(wrap_engine, live_server):
    word = tiny_tokenizer_word(wrap_engine)
    # The busy answer is scripted to one plain word for its whole length: a random model may write
    # an end-of-turn (as a token or as its text) and free the server before the second request.
    engine = wrap_engine(delay=0.05, script=[word] * 400)
    tokenized = []
    engine.chat_prompt_ids = lambda messages: tokenized.append(1) or type(engine).chat_prompt_ids(engine, messages)
    app = create_app(engine, limits=Limits(max_batch=1, max_waiting=0, max_tokens=400))
    with live_server(app) as url, httpx.Client(timeout=60) as http:
        busy = {"messages": USER, "max_tokens": 400, "stream": True}
        with http.stream("POST", url + "/v1/chat/completions", json=busy) as running:
            lines = running.iter_lines()  # kept: a dropped iterator closes the stream, and the server cancels it
            next(lines)
            assert len(tokenized) == 1
            start = time.perf_counter()
            big = {"messages": [{"role": "user", "content": "word " * 100_000}]}
            refused = http.post(url + "/v1/chat/completions", json=big)
            assert refused.status_code == 429 and time.perf_counter() - start < 10, refused.text
            assert len(tokenized) == 1  # the refused prompt was never tokenized


def test_a_prompt_too_long_for_any_tokenization_is_refused_untokenized(tiny_engine, live_server):
    engine = copy.copy(tiny_engine)
    tokenized = []
    engine.chat_prompt_ids = lambda messages: tokenized.append(1) or type(engine).chat_prompt_ids(engine, messages)
    app = create_app(engine, limits=Limits(max_prompt_tokens=20))
    with live_server(app) as url:
        cap = engine.max_prompt_chars(20)
        response = post(url, "/v1/chat/completions", {"messages": [{"role": "user", "content": "x" * (cap + 1)}]})
        assert response.status_code == 400 and error_of(response)["code"] == "context_length_exceeded"
        assert tokenized == []
        assert app.state.line.stats.admitted == 0  # its place was given back


def test_a_trickled_body_is_cut_off_at_the_deadline(server):
    host, port = server[0].removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=20) as sock:
        sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"Content-Type: application/json\r\nContent-Length: 500\r\n\r\n")
        start, answer = time.perf_counter(), b""
        sock.settimeout(0.5)
        while time.perf_counter() - start < 15:
            if not answer:  # trickle until the server answers; after that only read (a byte sent to a
                try:        # closed socket resets the connection and can lose the answer unread)
                    sock.sendall(b" ")
                except OSError:  # the server closed the connection
                    break
            try:
                data = sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:  # reset by the server after its answer
                break
            if not data:
                break
            answer += data
        elapsed = time.perf_counter() - start
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert b"request_timeout" in answer and elapsed < 10  # deadline 2 s; the connection did not stay open


def test_a_failure_on_our_side_names_a_request_id_and_hides_the_detail(wrap_engine, live_server, caplog):
    engine = wrap_engine()
    real = engine.model

    class Broken:
        def __call__(self, **kwargs):
            raise RuntimeError("cannot read /secret/path/model.safetensors")

        def __getattr__(self, name):
            return getattr(real, name)

    engine.model = Broken()
    with live_server(create_app(engine)) as url, caplog.at_level(logging.ERROR, logger="labtune.serve"):
        response = chat(url)
        assert response.status_code == 500
        error = error_of(response)
        ident = response.headers["x-request-id"]
        assert ident in error["message"] and error["type"] == "server_error"
        assert "secret" not in response.text and "RuntimeError" not in response.text
        streamed = httpx.post(url + "/v1/chat/completions", json={"messages": USER, "stream": True}, timeout=60)
        events = [json.loads(line[6:]) for line in streamed.text.splitlines()
                  if line.startswith("data: {")]
        assert "secret" not in streamed.text and events[-1]["error"]["type"] == "server_error"
        assert streamed.headers["x-request-id"] in events[-1]["error"]["message"]
    assert "/secret/path" in caplog.text  # the detail is in the server log


def test_openapi_describes_the_request_bodies_truly(server):
    schema = httpx.get(server[0] + "/openapi.json").json()
    components = schema["components"]["schemas"]
    chat_body = components["ChatCompletionRequest"]
    assert chat_body["required"] == ["messages"] and chat_body["properties"]["messages"]["minItems"] == 1
    assert chat_body["properties"]["max_tokens"]["anyOf"][0]["minimum"] == 1
    assert chat_body["properties"]["max_tokens"]["anyOf"][0]["maximum"] == 16  # this server's cap
    assert chat_body["properties"]["messages"]["contains"]["properties"]["role"] == {"const": "user"}
    post_chat = schema["paths"]["/v1/chat/completions"]["post"]
    assert post_chat["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("ChatCompletionRequest")
    assert "422" not in post_chat["responses"] and {"400", "429", "500"} <= set(post_chat["responses"])
    assert "text/event-stream" in post_chat["responses"]["200"]["content"]
