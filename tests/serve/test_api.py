"""The OpenAI-compatible API on a live server: the official client, errors, auth, limits, cancel."""

from __future__ import annotations

import asyncio
import json

import httpx
import openai
import pytest

from labtune.data.conversation import Message
from labtune.serve.api import Limits, create_app
from labtune.serve.generate import Sampling

MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Who presented?"}]


@pytest.fixture(scope="module")
def server(tiny_model_dir, live_server):
    from labtune.model.load import load
    from labtune.serve.generate import Engine

    engine = Engine(load(str(tiny_model_dir)))
    app = create_app(engine, model_name="tiny", limits=Limits(max_tokens=64, max_body_bytes=4096))
    with live_server(app) as url:
        yield url, engine


@pytest.fixture(scope="module")
def client(server):
    return openai.OpenAI(base_url=server[0] + "/v1", api_key="unused", max_retries=0, timeout=60)


def test_client_lists_the_one_model(client):
    assert [m.id for m in client.models.list()] == ["tiny"]


def test_client_chat_matches_the_engine_and_counts_usage(client, server):
    engine = server[1]
    reply = client.chat.completions.create(model="tiny", messages=MESSAGES, temperature=0, max_tokens=10)
    messages = [Message(m["role"], m["content"]) for m in MESSAGES]
    direct = engine.chat(messages, Sampling(temperature=0, max_new_tokens=10)).run()
    assert reply.object == "chat.completion"
    assert reply.choices[0].message.role == "assistant"
    assert reply.choices[0].message.content == direct.text
    assert reply.choices[0].finish_reason == direct.finish_reason
    assert reply.usage.prompt_tokens == len(engine.chat_prompt_ids(messages))
    assert reply.usage.completion_tokens == direct.completion_tokens
    assert reply.usage.total_tokens == reply.usage.prompt_tokens + reply.usage.completion_tokens


def test_client_stream_gives_the_same_text_in_pieces(client):
    plain = client.chat.completions.create(model="tiny", messages=MESSAGES, temperature=0, max_tokens=12)
    stream = client.chat.completions.create(model="tiny", messages=MESSAGES, temperature=0, max_tokens=12,
                                            stream=True, stream_options={"include_usage": True})
    chunks = list(stream)
    content = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert len(content) > 1
    assert "".join(content) == plain.choices[0].message.content
    assert chunks[0].choices[0].delta.role == "assistant"
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == [plain.choices[0].finish_reason]
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == plain.usage.completion_tokens


def test_seed_makes_sampling_reproducible(client):
    answers = {client.chat.completions.create(model="tiny", messages=MESSAGES, temperature=1.2, seed=5,
                                              max_tokens=8).choices[0].message.content for _ in range(2)}
    assert len(answers) == 1


def test_stop_sequence_is_honoured(client):
    sampled = {"model": "tiny", "messages": MESSAGES, "temperature": 1.5, "seed": 3, "max_tokens": 16}
    text = client.chat.completions.create(**sampled).choices[0].message.content
    stop = text[len(text) // 2:][:3]
    assert stop.strip(), "need a non-blank stop string from the model's own output"
    cut = client.chat.completions.create(**sampled, stop=[stop])
    assert cut.choices[0].message.content == text[:text.index(stop)]
    assert cut.choices[0].finish_reason == "stop"


def test_completions_raw_prompt_plain_and_streamed(client, server):
    engine = server[1]
    plain = client.completions.create(model="tiny", prompt="The lab meeting", temperature=0, max_tokens=8)
    assert plain.object == "text_completion"
    assert plain.usage.prompt_tokens == len(engine.text_prompt_ids("The lab meeting"))
    streamed = "".join(c.choices[0].text for c in client.completions.create(
        model="tiny", prompt="The lab meeting", temperature=0, max_tokens=8, stream=True) if c.choices)
    assert streamed == plain.choices[0].text


def test_unknown_model_is_404_in_openai_shape(client):
    with pytest.raises(openai.NotFoundError) as err:
        client.chat.completions.create(model="gpt-4", messages=MESSAGES)
    assert err.value.body["code"] == "model_not_found"


@pytest.mark.parametrize("field,value", [("temperature", 5), ("n", 2), ("top_p", 0), ("max_tokens", 0)])
def test_bad_field_is_400_naming_it(client, field, value):
    with pytest.raises(openai.BadRequestError) as err:
        client.chat.completions.create(model="tiny", messages=MESSAGES, **{field: value})
    assert err.value.body["param"] == field
    assert field in err.value.body["message"]


def test_bad_message_role_names_the_message_field(server):
    response = httpx.post(server[0] + "/v1/chat/completions",
                          json={"messages": [{"role": "robot", "content": "hi"}]})
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "messages.0.role"


def test_invalid_json_is_400(server):
    response = httpx.post(server[0] + "/v1/chat/completions", content=b"{not json",
                          headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert "not valid JSON" in error["message"] and error["type"] == "invalid_request_error"


def test_max_tokens_over_the_cap_is_400(client):
    with pytest.raises(openai.BadRequestError) as err:
        client.chat.completions.create(model="tiny", messages=MESSAGES, max_tokens=65)
    assert err.value.body["param"] == "max_tokens" and "less than or equal to 64" in err.value.body["message"]


def test_prompt_longer_than_the_context_is_400(client):
    long = [{"role": "user", "content": "word " * 600}]  # > 512 tokens of the tiny model's context
    with pytest.raises(openai.BadRequestError) as err:
        client.chat.completions.create(model="tiny", messages=long, max_tokens=4)
    assert err.value.body["code"] == "context_length_exceeded"


def test_body_over_the_size_cap_is_413(server):
    big = {"messages": [{"role": "user", "content": "x" * 5000}]}
    response = httpx.post(server[0] + "/v1/chat/completions", json=big)
    assert response.status_code == 413

    def chunks():  # no Content-Length: the server must count while reading
        yield json.dumps(big).encode()

    response = httpx.post(server[0] + "/v1/chat/completions", content=chunks(),
                          headers={"Content-Type": "application/json"})
    assert response.status_code == 413


def test_health_and_page_need_no_key(server):
    assert httpx.get(server[0] + "/health").json() == {"status": "ok"}
    assert httpx.head(server[0] + "/health").status_code == 200
    page = httpx.get(server[0] + "/")
    assert page.status_code == 200 and "labtune" in page.text
    assert "http" not in page.text.replace("http-equiv", "")  # no CDN: every asset is served from here
    assert httpx.get(server[0] + "/static/app.js").status_code == 200


def test_api_key_is_required_on_v1(tiny_engine, live_server):
    app = create_app(tiny_engine, api_key="s3cret", model_name="tiny")
    with live_server(app) as url:
        for key in ("wrong", "s3cre", "s3cret-and-more"):
            with pytest.raises(openai.AuthenticationError):
                openai.OpenAI(base_url=url + "/v1", api_key=key, max_retries=0).models.list()
        assert httpx.post(url + "/v1/chat/completions", json={}).status_code == 401  # no header at all
        good = openai.OpenAI(base_url=url + "/v1", api_key="s3cret", max_retries=0)
        assert [m.id for m in good.models.list()] == ["tiny"]
        reply = good.chat.completions.create(model="tiny", messages=MESSAGES, max_tokens=3)
        assert reply.usage.completion_tokens <= 3
        assert httpx.get(url + "/health").status_code == 200


def test_burst_beyond_the_wait_line_gets_429_with_retry_after(wrap_engine, live_server):
    engine = wrap_engine(delay=0.05)
    app = create_app(engine, model_name="tiny", limits=Limits(max_batch=1, max_waiting=1))
    body = {"messages": MESSAGES, "max_tokens": 6, "temperature": 0}

    async def burst(url):
        async with httpx.AsyncClient(timeout=60) as http:
            return await asyncio.gather(*[http.post(url + "/v1/chat/completions", json=body) for _ in range(6)])

    with live_server(app) as url:
        responses = asyncio.run(burst(url))
        statuses = sorted(r.status_code for r in responses)
        assert statuses.count(200) >= 2 and statuses.count(429) >= 1, statuses
        assert set(statuses) == {200, 429}
        limited = next(r for r in responses if r.status_code == 429)
        assert limited.headers["Retry-After"] == "1"
        assert limited.json()["error"]["type"] == "rate_limit_error"
        # the burst is over: the server takes requests again
        assert httpx.post(url + "/v1/chat/completions", json=body, timeout=60).status_code == 200
