"""A server with a notes index answers open-book: the notes go into the prompt, and the answer names them
in an extra `labtune.notes` field that the official client ignores."""

from __future__ import annotations

import json

import httpx
import openai
import pytest

from labtune.data.context import NOTES_HEADER
from labtune.serve.api import Limits, create_app
from labtune.serve.engine import ServingEngine


@pytest.fixture(scope="module")
def server(tiny_engine, live_server, tmp_path_factory):
    from labtune.retrieval import build_index
    from labtune.samples import LABNOTES

    index = build_index(LABNOTES, tmp_path_factory.mktemp("index") / "index").index
    prompts: list[str] = []
    engine: ServingEngine = tiny_engine

    class Recording:  # the engine as the API sees it, keeping the prompts it was asked to tokenize
        def __getattr__(self, name):
            return getattr(engine, name)

        def chat_prompt_ids(self, messages):
            prompts.append(messages[-1].content)
            return engine.chat_prompt_ids(messages)

    app = create_app(Recording(), model_name="tiny", limits=Limits(max_tokens=8), index=index, notes_k=2)
    with live_server(app) as url:
        yield url, prompts


QUESTION = [{"role": "user", "content": "Who is the presenter of the 4/14/2023 lab meeting?"}]


def test_the_answer_names_the_notes_it_was_given(server):
    url, prompts = server
    body = httpx.post(f"{url}/v1/chat/completions", json={"messages": QUESTION, "max_tokens": 4}, timeout=60).json()
    assert body["labtune"]["notes"] == ["2023-04-14.md"]
    assert prompts[-1].startswith(NOTES_HEADER) and "Hana Kowalczyk" in prompts[-1]
    assert prompts[-1].endswith("Question: Who is the presenter of the April 14, 2023 lab meeting?")


def test_the_streamed_answer_names_them_in_its_last_chunk(server):
    url, _ = server
    with httpx.stream("POST", f"{url}/v1/chat/completions", timeout=60,
                      json={"messages": QUESTION, "max_tokens": 4, "stream": True}) as response:
        events = [json.loads(line[6:]) for line in response.iter_lines()
                  if line.startswith("data: ") and line != "data: [DONE]"]
    assert [e["labtune"]["notes"] for e in events if "labtune" in e] == [["2023-04-14.md"]]
    assert events[-1]["choices"][0]["finish_reason"] is not None


def test_standard_clients_ignore_the_field_and_nothing_matching_is_closed_book(server):
    url, prompts = server
    client = openai.OpenAI(base_url=url + "/v1", api_key="unused", max_retries=0, timeout=60)
    reply = client.chat.completions.create(model="tiny", max_tokens=4,
                                           messages=[{"role": "user", "content": "Hello there"}])
    assert reply.choices[0].message.content is not None
    assert prompts[-1] == "Hello there"  # no note matched: the question goes in as asked
    assert reply.model_extra["labtune"] == {"notes": []}


def test_without_an_index_answers_keep_openai_shape_exactly(tiny_engine, live_server):
    app = create_app(tiny_engine, model_name="tiny", limits=Limits(max_tokens=8))
    with live_server(app) as url:
        body = httpx.post(f"{url}/v1/chat/completions", json={"messages": QUESTION, "max_tokens": 2}, timeout=60).json()
    assert "labtune" not in body
    assert body["choices"][0]["logprobs"] is None and "logprobs" in body["choices"][0]
