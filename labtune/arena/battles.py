"""One arena: deal a question with two anonymous answers, take the vote, reveal the names.

The web page and the terminal both go through `Arena`, so they deal and record votes the same way.
A dealt match waits in memory (bounded) until its vote; a match takes one vote only.
"""

from __future__ import annotations

import random
import re
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass

from labtune.arena.contenders import question_id
from labtune.arena.votes import Vote, VoteStore
from labtune.errors import LabtuneError
from labtune.eval.questions import Question

# What a voter picks -> FastChat's winner names, which the database and the ratings use.
CHOICES = {"a": "model_a", "b": "model_b", "tie": "tie", "bothbad": "tie (bothbad)"}
VOTER_PATTERN = re.compile(r"[^\x00-\x1f\x7f]{1,64}")  # a name or an id; no control characters


class MatchError(LabtuneError):
    """A vote that cannot be taken; `status` is its HTTP status."""

    def __init__(self, message: str, status: int, code: str):
        super().__init__(message)
        self.status, self.code = status, code


@dataclass(frozen=True)
class Match:
    id: str
    question: Question
    question_id: str
    model_a: str
    model_b: str
    answer_a: str
    answer_b: str


def check_voter(voter: str) -> str:
    voter = voter.strip()
    if not VOTER_PATTERN.fullmatch(voter):
        raise MatchError("voter must be 1-64 characters, none of them control characters", 400, "invalid_voter")
    return voter


class Arena:
    def __init__(self, store: VoteStore, names: list[str], questions: list[Question],
                 answers: dict[str, dict[str, str]], seed: int | None = None, max_pending: int = 10_000):
        if len(names) < 2:
            raise LabtuneError("an arena needs at least two runs or models")
        if not questions:
            raise LabtuneError("an arena needs at least one question")
        self.store, self.names, self.answers = store, list(names), answers
        self.questions = {question_id(q.prompt): q for q in questions}
        self._rng = random.Random(seed)
        self._pending: OrderedDict[str, Match] = OrderedDict()
        self._max_pending = max_pending
        self._lock = threading.Lock()

    def deal(self) -> Match:
        """A random question and a random pair of models in random positions (A shown first)."""
        with self._lock:
            qid = self._rng.choice(list(self.questions))
            model_a, model_b = self._rng.sample(self.names, 2)
            match = Match(secrets.token_urlsafe(16), self.questions[qid], qid, model_a, model_b,
                          self.answers[model_a][qid], self.answers[model_b][qid])
            self._pending[match.id] = match
            while len(self._pending) > self._max_pending:  # the oldest unanswered matches expire
                self._pending.popitem(last=False)
        return match

    def vote(self, match_id: str, choice: str, voter: str = "anonymous") -> tuple[Match, Vote]:
        """Record a vote on a dealt match and return the match, whose names may now be shown."""
        if choice not in CHOICES:
            raise MatchError(f"winner must be one of {', '.join(CHOICES)}", 400, "invalid_winner")
        voter = check_voter(voter)
        with self._lock:
            match = self._pending.pop(match_id, None)
        if match is None:
            raise MatchError("unknown or already voted match: load a new question", 404, "match_not_found")
        vote = Vote(voter=voter, question_id=match.question_id, prompt=match.question.text, model_a=match.model_a,
                    model_b=match.model_b, winner=CHOICES[choice], answer_a=match.answer_a, answer_b=match.answer_b)
        try:
            self.store.add(vote)
        except BaseException:
            with self._lock:  # not recorded: the voter may try again
                self._pending[match_id] = match
            raise
        return match, vote
