"""The API under generated input: never a 500, always JSON in OpenAI's error shape when it refuses.

schemathesis reads /openapi.json and sends bodies that follow it and bodies that break it (and
checks every answer against the documented statuses and schemas); Hypothesis sends arbitrary JSON
values and raw bytes. Bounded: a few dozen examples per operation on the tiny model (about a minute).
"""

from __future__ import annotations

import json

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from labtune.serve.api import Limits, create_app

LIMITS = Limits(max_tokens=4, max_body_bytes=64 * 1024, body_seconds=5.0)
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def fuzz_server(tiny_engine, live_server):
    import copy

    # Generated messages can be long; the tiny model's 512-token context would refuse them with a
    # documented 400 that JSON Schema cannot express. Its rotary positions go further, so let it.
    engine = copy.copy(tiny_engine)
    engine.context_length = 8192
    with live_server(create_app(engine, model_name="tiny", limits=LIMITS)) as url:
        yield url


@pytest.mark.parametrize("mode", ["positive", "negative"])
def test_every_operation_keeps_its_documented_contract(fuzz_server, mode):
    """Bodies that follow the schema (positive) and that break it (negative); schemathesis's checks
    include: no 5xx, the status is documented, the body matches the documented schema."""
    schema = schemathesis.openapi.from_url(fuzz_server + "/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.label for op in operations} >= {"POST /v1/chat/completions", "POST /v1/completions", "GET /v1/models"}
    for operation in operations:
        if mode == "negative" and operation.method.upper() != "POST":
            continue  # nothing to break in a request without parameters or body
        @FUZZ
        @given(case=operation.as_strategy(schemathesis.GenerationMode(mode)))
        def run(case):
            response = case.call_and_validate(base_url=fuzz_server)
            assert response.status_code < 500

        run()


def check_answer(response: httpx.Response) -> None:
    assert response.status_code != 500, response.text
    assert response.headers["content-type"].startswith(("application/json", "text/event-stream")), response.headers
    if response.status_code >= 400:
        error = response.json()["error"]
        assert set(error) == {"message", "type", "param", "code"} and isinstance(error["message"], str)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12)
FIELDS = st.sampled_from(["messages", "prompt", "max_tokens", "max_completion_tokens", "temperature", "top_p",
                          "stop", "seed", "n", "stream", "stream_options", "repetition_penalty", "model"])
MESSAGE = st.fixed_dictionaries({"role": st.sampled_from(["user", "assistant", "system", "developer", "tool", 1]),
                                 "content": st.text(max_size=40) | JSON_VALUES})
BODIES = st.dictionaries(FIELDS, JSON_VALUES, max_size=6) | st.fixed_dictionaries(
    {"messages": st.lists(MESSAGE, max_size=3)}, optional={"max_tokens": JSON_VALUES, "stream": JSON_VALUES,
                                                           "temperature": JSON_VALUES, "stop": JSON_VALUES})


@FUZZ
@given(body=BODIES, path=st.sampled_from(["/v1/chat/completions", "/v1/completions"]))
def test_generated_json_bodies_never_break_the_server(fuzz_server, body, path):
    check_answer(httpx.post(fuzz_server + path, content=json.dumps(body).encode(),
                            headers={"Content-Type": "application/json"}, timeout=60))


@FUZZ
@given(raw=st.binary(max_size=200) | st.text(max_size=200).map(lambda t: ("{\"messages\": " + t).encode(
    "utf-8", "surrogatepass")))
def test_generated_bytes_never_break_the_server(fuzz_server, raw):
    check_answer(httpx.post(fuzz_server + "/v1/chat/completions", content=raw,
                            headers={"Content-Type": "application/json"}, timeout=60))
