"""Canned arena data shared by the arena tests (a module of its own: `from conftest import` is ambiguous)."""

from __future__ import annotations

from labtune.arena.battles import Arena
from labtune.arena.contenders import question_id
from labtune.arena.votes import VoteStore
from labtune.data.conversation import Message
from labtune.eval.questions import Question

QUESTIONS = [Question([Message("user", "Who presented on 4/14/2023?")], ["Ada Lovelace"], index=0),
             Question([Message("user", "Who took the notes on 4/14/2023?")], ["Alan Turing"], index=1),
             Question([Message("user", "What was the topic?")], ["sediment cores"], index=2)]
# run-good knows every answer, run-bad none; run-half the first one.
ANSWERS = {
    "run-good": ["Ada Lovelace presented.", "Alan Turing took the notes.", "Sediment cores."],
    "run-bad": ["I do not know.", "Nobody.", "Lunch."],
    "run-half": ["It was Ada Lovelace.", "Grace Hopper.", "Lunch."],
}


def canned_arena(path, names=("run-good", "run-bad", "run-half"), seed=0) -> Arena:
    answers = {n: {question_id(q.prompt): ANSWERS[n][i] for i, q in enumerate(QUESTIONS)} for n in names}
    return Arena(VoteStore(path, create=True), list(names), QUESTIONS, answers, seed=seed)
