"""Automatic judges: both orders asked, position bias cancelled, the reference judge without a model."""

from __future__ import annotations

import re
import socket

import pytest
from fastapi import FastAPI, Request

from arena_helpers import QUESTIONS
from labtune.arena.judge import EndpointJudge, Item, ModelJudge, ReferenceJudge, RunJudge, judge_all, parse_verdict
from labtune.arena.leaderboard import build
from labtune.errors import LabtuneError


@pytest.mark.parametrize("reply, verdict", [
    ("[[A]]", "a"), ("Answer B is right. [[B]]", "b"), ("[[C]]", "tie"), ("[[d]]", "bothbad"),
    ("first [[A]] then, on reflection, [[B]]", "b"), ("B", "b"), ("tie.", "tie"), ("Both bad", "bothbad"),
    ("A is better because B is wrong", None), ("", None), ("[[E]]", None)])
def test_parse_verdict(reply, verdict):
    assert parse_verdict(reply) == verdict


class Scripted(ModelJudge):
    """Replies with `rule(first_answer, second_answer)`; records the prompts it saw."""

    def __init__(self, rule):
        self.rule, self.prompts = rule, []

    def ask(self, prompts):
        self.prompts += prompts
        out = []
        for messages in prompts:
            first, second = re.search(r"Answer A:\n(.*)\n\nAnswer B:\n(.*)", messages[-1].content, re.S).groups()
            out.append(self.rule(first, second))
        return out


ITEM = Item(QUESTIONS[0], "Ada Lovelace presented.", "I do not know.")


def test_the_judge_sees_both_orders_and_agreeing_verdicts_are_the_vote():
    judge = Scripted(lambda first, second: "[[A]]" if "Lovelace" in first else "[[B]]")
    assert [v.choice for v in judge.verdicts([ITEM, Item(QUESTIONS[0], "No idea.", "Lovelace")])] == ["a", "b"]
    shown = [m[-1].content for m in judge.prompts]
    assert "Answer A:\nAda Lovelace presented." in shown[0] and "Answer A:\nI do not know." in shown[2]
    assert "Reference answer: Ada Lovelace" in shown[0] and judge.prompts[0][0].role == "system"


def test_a_judge_that_always_prefers_one_position_only_produces_ties():
    assert [v.choice for v in Scripted(lambda first, second: "[[A]]").verdicts([ITEM] * 3)] == ["tie"] * 3
    assert Scripted(lambda first, second: "[[B]]").verdicts([ITEM])[0].choice == "tie"


def test_an_unreadable_verdict_in_either_order_is_no_vote():
    replies = iter(["[[A]]", "I cannot decide"])
    verdict = Scripted(lambda first, second: next(replies)).verdicts([ITEM])[0]
    assert verdict.choice is None and "I cannot decide" in verdict.detail


def test_reference_judge_right_beats_wrong_and_needs_references():
    items = [ITEM, Item(QUESTIONS[0], "Lovelace, Ada Lovelace", "It was Ada Lovelace"),
             Item(QUESTIONS[0], "Nobody", "Grace"), Item(QUESTIONS[0], "Nobody", "Ada Lovelace.")]
    assert [v.choice for v in ReferenceJudge().verdicts(items)] == ["a", "tie", "bothbad", "b"]
    bare = Item(type(QUESTIONS[0])(QUESTIONS[0].prompt, []), "x", "y")
    with pytest.raises(LabtuneError, match="needs reference answers"):
        ReferenceJudge().verdicts([bare])


def test_judge_votes_are_marked_recorded_once_and_rank_the_runs(arena):
    counts = judge_all(arena, ReferenceJudge(), seed=1)
    votes = arena.store.votes()
    assert len(votes) == 9 and sum(counts.values()) == 9  # 3 questions x 3 pairs
    assert all(v.judge and v.voter == "judge:reference" for v in votes)
    assert len({(v.model_a, v.model_b) for v in votes}) > 3  # random positions: some pair shown both ways
    assert judge_all(arena, ReferenceJudge()) == {"a": 0, "b": 0, "tie": 0, "bothbad": 0, "no verdict": 0}
    board = build(arena.store.votes(), rounds=50)
    assert board["models"] == ["run-good", "run-half", "run-bad"] and board["judge_votes"] == 9
    with pytest.raises(LabtuneError, match="no votes"):
        build(arena.store.votes(judges=False))


def stub_openai(rule, seen: list) -> FastAPI:
    """A minimal OpenAI-compatible server whose model answers `rule(first, second)`."""
    app = FastAPI()

    @app.get("/v1/models")
    async def models():
        return {"object": "list", "data": [{"id": "stub-judge", "object": "model"}]}

    @app.post("/v1/chat/completions")
    async def chat(request: Request):
        body = await request.json()
        seen.append((request.headers.get("authorization"), body))
        first, second = re.search(r"Answer A:\n(.*)\n\nAnswer B:\n(.*)", body["messages"][-1]["content"], re.S).groups()
        return {"choices": [{"index": 0, "message": {"role": "assistant", "content": rule(first, second)}}]}

    return app


def test_an_openai_compatible_endpoint_judges_in_both_orders(arena, live_server):
    seen = []
    knows = lambda first, second: "[[A]]" if "Lovelace" in first or "Turing" in first else "[[B]]"  # noqa: E731
    with live_server(stub_openai(knows, seen)) as url:
        judge = EndpointJudge(url, api_key="k")
        assert judge.model == "stub-judge" and judge.name.startswith("judge:stub-judge@")
        counts = judge_all(arena, judge)
    assert sum(counts.values()) == 9 and len(seen) == 18  # every pair asked twice
    authorization, body = seen[0]
    assert authorization == "Bearer k" and body["temperature"] == 0 and body["model"] == "stub-judge"
    assert body["messages"][0]["role"] == "system"
    assert all(v.judge for v in arena.store.votes())


def test_an_unreachable_or_failing_endpoint_is_a_one_line_error(live_server):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(LabtuneError, match="cannot reach it"):
        EndpointJudge(f"http://127.0.0.1:{port}")
    app = FastAPI()
    with live_server(app) as url:
        with pytest.raises(LabtuneError, match=r"/v1/models: HTTP 404"):
            EndpointJudge(url)


def test_labtune_serve_can_be_the_judge(arena, tiny_model_dir, live_server):
    from labtune.model.load import load
    from labtune.serve.api import create_app
    from labtune.serve.generate import Engine

    with live_server(create_app(Engine(load(str(tiny_model_dir))), model_name="tiny")) as url:
        judge = EndpointJudge(url + "/v1", max_tokens=4)
        verdicts = judge.verdicts([ITEM, ITEM])
    assert judge.model == "tiny" and len(verdicts) == 2  # a random tiny model: any verdict, or none


def test_a_local_run_can_be_the_judge(tiny_vicuna_run):
    judge = RunJudge(str(tiny_vicuna_run), max_tokens=4)
    verdicts = judge.verdicts([ITEM])
    assert judge.name.endswith("vicuna-run") and len(verdicts) == 1
    with pytest.raises(LabtuneError, match="not found"):
        RunJudge("no/such/run")
