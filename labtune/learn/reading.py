"""Keeping the base model's reading: before tuning, the base model answers rule-made questions about the
notes' content with the notes in its prompt, retrieved as answering retrieves them
(`SynthesisPlan.read_by_base`); the answers that hold the fact join the training data.

A run trained on answers in one form ("The lab meeting on DATE was about TOPIC; ...") comes to answer every
question in that form, and then reads a note's lines worse than the base model did (docs/benchmarks.md).
Its own base's right answers, in the base's own words, are what keeps that skill: the replay of general
answers does the same for general questions.
"""

from __future__ import annotations

import re

from labtune.data.conversation import Conversation, Message
from labtune.data.notes.prose import split_sentences
from labtune.data.notes.synthesize import CheckQuestion
from labtune.eval.scoring import score

_FINISHED = re.compile(r"[.!?][\"')\]]*$")


def first_right_sentences(answer: str, accepted: list[str]) -> str | None:
    """`answer` up to the end of its first sentence that holds an accepted answer; None when none does, or
    when that sentence is unfinished. The base model rambles on past its answer and is cut off at the
    answer length, and a run learns to stop where its training answers stop: one answer cut after "the
    recorder was Farid Eng" taught a run to end three answers so."""
    sentences = split_sentences(answer)
    for end in range(1, len(sentences) + 1):
        if score(sentences[end - 1], accepted):
            return " ".join(sentences[:end]) if _FINISHED.search(sentences[end - 1]) else None
    return None


def read_by_base(loaded, questions: list[CheckQuestion], index, max_new_tokens: int) -> list[Conversation]:
    """The base model's answers to `questions` with its notes in the prompt, as training conversations,
    those holding an accepted answer only, cut after the sentence that does."""
    from labtune.eval.answer import generate_answers
    from labtune.retrieval.open_book import open_book

    if index is None or not questions:
        return []
    prompts = [open_book([Message("user", q.question)], index)[0] for q in questions]
    answers = generate_answers(loaded, prompts, max_new_tokens, batch_size=16)
    out = []
    for i, (question, prompt, answer) in enumerate(zip(questions, prompts, answers)):
        kept = first_right_sentences(answer, question.answers)
        if kept:
            out.append(Conversation([*prompt, Message("assistant", kept)], id=f"notes-read-{i}",
                                    meta={"kinds": ["read_by_base"]}))
    return out
