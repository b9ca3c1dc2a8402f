"""Automatic judges. A model judge (any OpenAI-compatible endpoint, another `labtune serve` included,
or a local run) sees each pair in both orders, which cancels its preference for a position: the same
verdict both ways is the vote, different verdicts are a tie, an unreadable verdict is no vote. The
reference judge needs no model: with the questions' reference answers it counts an answer right when
it contains one (labtune.eval's scoring), and right beats wrong.
"""

from __future__ import annotations

import itertools
import json
import random
import re
from dataclasses import dataclass

from labtune.arena.battles import CHOICES, Arena
from labtune.arena.votes import Vote
from labtune.data.conversation import Message
from labtune.errors import LabtuneError
from labtune.eval.questions import Question
from labtune.eval.scoring import score

SYSTEM = ("You are an impartial judge comparing two answers to the same question. Judge correctness first, "
          "then helpfulness and clarity; the order of the answers and their length do not matter. Reply with "
          "the verdict only: [[A]] if answer A is better, [[B]] if answer B is better, [[C]] for a tie, "
          "[[D]] if both are bad.")
VERDICT = re.compile(r"\[\[\s*([ABCD])\s*\]\]", re.IGNORECASE)
BARE = {"a": "a", "b": "b", "c": "tie", "tie": "tie", "d": "bothbad", "both bad": "bothbad", "bothbad": "bothbad"}
SWAPPED = {"a": "b", "b": "a", "tie": "tie", "bothbad": "bothbad"}


@dataclass(frozen=True)
class Item:
    question: Question
    answer_a: str
    answer_b: str


@dataclass(frozen=True)
class Verdict:
    choice: str | None  # "a" | "b" | "tie" | "bothbad"; None: no usable verdict, no vote
    detail: str  # what the judge said, for the votes database


def judge_messages(question: Question, first: str, second: str) -> list[Message]:
    parts = [f"Question:\n{question.text}"]
    if question.answers:
        parts.append("Reference answer: " + " / ".join(question.answers))
    parts += [f"Answer A:\n{first}", f"Answer B:\n{second}"]
    return [Message("system", SYSTEM), Message("user", "\n\n".join(parts))]


def parse_verdict(text: str) -> str | None:
    """The last [[X]] in the text, else a bare verdict ("A", "tie", "both bad") as the whole reply."""
    marks = VERDICT.findall(text)
    if marks:
        return BARE[marks[-1].lower()]
    return BARE.get(text.strip().strip(".!*\"'`").strip().lower())


class ModelJudge:
    """Asks a model in both orders; subclasses say how to ask (`ask`: prompts -> replies)."""

    name = "judge"

    def ask(self, prompts: list[list[Message]]) -> list[str]:
        raise NotImplementedError

    def verdicts(self, items: list[Item]) -> list[Verdict]:
        prompts = [judge_messages(i.question, i.answer_a, i.answer_b) for i in items]
        prompts += [judge_messages(i.question, i.answer_b, i.answer_a) for i in items]
        replies = self.ask(prompts)
        out = []
        for shown, swapped in zip(replies[:len(items)], replies[len(items):]):
            first, second = parse_verdict(shown), parse_verdict(swapped)
            second = SWAPPED.get(second) if second else None
            if first is None or second is None:
                choice = None
            else:
                choice = first if first == second else "tie"
            out.append(Verdict(choice, json.dumps({"a_first": shown, "b_first": swapped}, ensure_ascii=False)))
        return out


class EndpointJudge(ModelJudge):
    """An OpenAI-compatible chat endpoint: `BASE` or `BASE/v1`, greedy (temperature 0)."""

    def __init__(self, url: str, model: str | None = None, api_key: str | None = None, max_tokens: int = 256,
                 timeout_s: float = 300.0):
        import httpx

        base = url.rstrip("/")
        self.base = base if base.endswith("/v1") else base + "/v1"
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = httpx.Client(headers=headers, timeout=timeout_s)
        self.max_tokens = max_tokens
        listed = self._first_model()  # also checks, before any answer is generated, that the judge answers
        self.model = model or listed
        self.name = f"judge:{self.model}@{self.base}"

    def _call(self, method: str, path: str, **kwargs) -> dict:
        import httpx

        try:
            response = self.client.request(method, self.base + path, **kwargs)
        except httpx.HTTPError as exc:
            raise LabtuneError(f"judge {self.base}: cannot reach it ({exc})") from None
        try:
            data = response.json()
        except ValueError:
            data = None
        if response.status_code != 200 or not isinstance(data, dict):
            message = (data or {}).get("error", {}).get("message") if isinstance(data, dict) else None
            raise LabtuneError(f"judge {self.base}{path}: HTTP {response.status_code}"
                               + (f": {message}" if message else ""))
        return data

    def _first_model(self) -> str:
        models = self._call("GET", "/models").get("data") or []
        if not models or not isinstance(models[0], dict) or "id" not in models[0]:
            raise LabtuneError(f"judge {self.base}/models lists no model; pass --judge-model")
        return str(models[0]["id"])

    def ask(self, prompts: list[list[Message]]) -> list[str]:
        replies = []
        for messages in prompts:
            data = self._call("POST", "/chat/completions", json={
                "model": self.model, "temperature": 0, "max_tokens": self.max_tokens,
                "messages": [{"role": m.role, "content": m.content} for m in messages]})
            try:
                replies.append(str(data["choices"][0]["message"]["content"] or ""))
            except (KeyError, IndexError, TypeError):
                raise LabtuneError(f"judge {self.base}/chat/completions: no choices[0].message.content in the "
                                   "reply") from None
        return replies


class RunJudge(ModelJudge):
    """A local run or model, loaded with its own template, answering greedily."""

    def __init__(self, spec: str, max_tokens: int = 64):
        from labtune.arena.contenders import contender

        self.spec, self.max_tokens = spec, max_tokens
        self.name = f"judge:{contender(spec).name}"

    def ask(self, prompts: list[list[Message]]) -> list[str]:
        from labtune.arena.contenders import generate

        return generate(self.spec, prompts, self.max_tokens)


class ReferenceJudge:
    """Contains-match against the reference answers: right beats wrong; both right a tie, both wrong both bad."""

    name = "judge:reference"

    @staticmethod
    def check(questions: list[Question]) -> None:
        for question in questions:
            if not question.answers:
                raise LabtuneError(f"the reference judge needs reference answers: question {question.text!r} "
                                   "has none (give a questions file with \"answers\")")

    def verdicts(self, items: list[Item]) -> list[Verdict]:
        self.check([item.question for item in items])
        out = []
        for item in items:
            a_right, b_right = score(item.answer_a, item.question.answers), score(item.answer_b, item.question.answers)
            choice = ("tie" if a_right else "bothbad") if a_right == b_right else ("a" if a_right else "b")
            out.append(Verdict(choice, json.dumps({"a_right": a_right, "b_right": b_right})))
        return out


def make_judge(spec: str, model: str | None = None, api_key: str | None = None):
    """`reference`, an http(s) URL, or a run / model."""
    if spec == "reference":
        return ReferenceJudge()
    if spec.startswith(("http://", "https://")):
        return EndpointJudge(spec, model, api_key)
    return RunJudge(spec)


def judge_all(arena: Arena, judge, seed: int = 0) -> dict[str, int]:
    """The judge votes once on every question for every pair of models it has not judged yet there,
    each pair in random positions (seeded). Returns how many votes of each kind were recorded."""
    rng = random.Random(seed)
    done = arena.store.judged(judge.name)
    todo = []
    for qid, question in arena.questions.items():
        for pair in itertools.combinations(arena.names, 2):
            if (qid, frozenset(pair)) not in done:
                model_a, model_b = rng.sample(pair, 2)
                todo.append((qid, question, model_a, model_b))
    items = [Item(q, arena.answers[a][qid], arena.answers[b][qid]) for qid, q, a, b in todo]
    counts = {choice: 0 for choice in CHOICES} | {"no verdict": 0}
    for (qid, question, model_a, model_b), item, verdict in zip(todo, items, judge.verdicts(items) if items else []):
        if verdict.choice is None:
            counts["no verdict"] += 1
            continue
        arena.store.add(Vote(voter=judge.name, question_id=qid, prompt=question.text, model_a=model_a,
                             model_b=model_b, winner=CHOICES[verdict.choice], answer_a=item.answer_a,
                             answer_b=item.answer_b, judge=True, detail=verdict.detail))
        counts[verdict.choice] += 1
    return counts
