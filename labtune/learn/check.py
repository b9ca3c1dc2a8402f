"""The held-out self-check: questions in phrasings and date spellings training never used.

During training it is scored teacher-forced: the question, then the answer training teaches for it;
the question counts when the model's most likely next token is the answer's own at every position of
the meeting's topic and the value the question asks for (the name, the date, the blanked words), i.e.
when greedy decoding, having written the date, would recall the topic and then the value. That is one forward
pass over the questions (no generation), cheap enough to ask every half epoch and to stop on (early
stopping, Gekhman et al. 2024: new facts are learned slowly and raise hallucination once
over-learned). The opening is not scored: a held-out date spelling may fairly change how an answer
begins, not what it says. After training the tuned model answers a larger
share of them by generation, scored like any questions file (contains-match).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

import torch

from labtune.data.conversation import Message
from labtune.data.notes.synthesize import CheckQuestion
from labtune.data.tokenize import IGNORE_INDEX, Encoded, encode_prompt
from labtune.learn.recipe import CheckSettings
from labtune.train.batching import pack

TOPIC_LEAD = " was about "  # lessons.Meeting.clause: "The lab meeting on DATE was about TOPIC"
CHUNK = 8  # questions per forward pass: 8 x ~40 answer positions x 49k vocabulary x 4 B is ~60 MB of logits


def spread(questions: list[CheckQuestion], count: int, seed: int) -> list[CheckQuestion]:
    """Up to `count` questions, the kinds taking turns, so a rare kind is never crowded out."""
    rng = random.Random(seed)
    by_kind: dict[str, list[CheckQuestion]] = {}
    for q in questions:
        by_kind.setdefault(q.kind, []).append(q)
    for group in by_kind.values():
        rng.shuffle(group)
    out: list[CheckQuestion] = []
    while len(out) < min(count, len(questions)):
        for group in by_kind.values():
            if group and len(out) < count:
                out.append(group.pop())
    return out


def watched(questions: list[CheckQuestion], count: int, seed: int) -> list[CheckQuestion]:
    """The questions early stopping and the blend score: up to `count` of the kinds training teaches
    (a kind it does not teach would hold the check below any stopping bar), spread over the kinds."""
    return spread([q for q in questions if q.taught], count, seed)


def value_span(question: CheckQuestion) -> tuple[int, int]:
    """Where in the taught answer the asked-for value is (the first acceptable answer found there), from
    the meeting's topic on when the answer leads with it (the topic is what the value is recalled
    after); the whole answer for a date with no meeting, and when the value is not in it."""
    lower = question.expected.lower()
    if question.kind == "no_notes":  # the decision is the answer's first word: "I have no notes" or "The ..."
        return 0, len(question.expected)
    for answer in question.answers:
        at = lower.find(answer.lower())
        if at >= 0:
            topic = lower.find(TOPIC_LEAD)
            start = topic + len(TOPIC_LEAD) if 0 <= topic < at else at
            return start, at + len(answer)
    return 0, len(question.expected)


def taught_sample(question: CheckQuestion, template, tokenizer) -> Encoded:
    """The generation prompt, then the taught answer; labels only on the value's tokens."""
    prompt = encode_prompt([Message("user", question.question)], template, tokenizer)
    answer = tokenizer(question.expected, add_special_tokens=False, return_offsets_mapping=True)
    start, end = value_span(question)
    labels = [token if a < end and b > start else IGNORE_INDEX
              for token, (a, b) in zip(answer["input_ids"], answer["offset_mapping"])]
    return Encoded(prompt + answer["input_ids"], [IGNORE_INDEX] * len(prompt) + labels)


class TaughtAnswers:
    """Teacher-forced check: the share of questions whose value greedy decoding would write."""

    def __init__(self, questions: list[CheckQuestion], template, tokenizer):
        self.questions = questions
        self.samples = [taught_sample(q, template, tokenizer) for q in questions]

    def exact(self, model) -> list[bool]:
        device = next(model.parameters()).device
        was_training = model.training
        model.eval()
        out: list[bool] = []
        try:
            with torch.no_grad():
                for start in range(0, len(self.samples), CHUNK):
                    chunk = self.samples[start:start + CHUNK]
                    batch = pack(chunk).to(device)
                    logits = model(input_ids=batch.input_ids, position_ids=batch.position_ids,
                                   logits_to_keep=batch.keep, use_cache=False).logits
                    right = (logits[0].argmax(-1) == batch.targets).tolist()
                    at = 0
                    for sample in chunk:
                        n = sum(label != IGNORE_INDEX for label in sample.labels[1:])
                        out.append(all(right[at:at + n]))
                        at += n
        finally:
            model.train(was_training)
        return out

    def score(self, model) -> float:
        exact = self.exact(model)
        return sum(exact) / len(exact) if exact else 1.0


class EarlyStop:
    """`stop_early` for labtune.train: checks at `from_epochs`, then every `every_epochs`; True once
    the share of exactly taught answers reaches `stop_at`. Keeps the history for the report."""

    def __init__(self, check: TaughtAnswers, settings: CheckSettings, log: Callable[[str], None] = print):
        self.check, self.settings, self.log = check, settings, log
        self.next_at = settings.from_epochs
        self.history: list[dict] = []

    def __call__(self, model, row: dict) -> bool:
        if not self.check.samples or row["epoch"] + 1e-6 < self.next_at:
            return False
        while self.next_at <= row["epoch"] + 1e-6:
            self.next_at += self.settings.every_epochs
        started = time.perf_counter()
        exact = self.check.score(model)
        self.history.append({"epoch": round(row["epoch"], 2), "step": row["step"], "tokens": row["tokens"],
                             "exact": round(exact, 4), "seconds": round(time.perf_counter() - started, 1)})
        stop = exact >= self.settings.stop_at
        self.log(f"held-out check at epoch {row['epoch']:.2f}: {exact:.0%} recalled"
                 + (" -> stopping" if stop else ""))
        return stop

    @property
    def seconds(self) -> float:
        return sum(h["seconds"] for h in self.history)
