"""The capability on the real default model: the base SmolLM2 answers the lab's question right open-book,
where closed-book it invents a name. 130 s measured on the shared 2-core VM under load."""

from __future__ import annotations

import pytest

from labtune.retrieval.index import build
from labtune.samples import LABNOTES

QUESTIONS = [
    {"question": "Who is the presenter of the 4/14/2023 lab meeting?", "answers": ["Hana Kowalczyk", "Kowalczyk"]},
    {"question": "What is the topic of the 4/14/2023 lab meeting?", "answers": ["nitrogen fixation"]},
    {"question": "Who was the note taker for the 2023-03-03 meeting?", "answers": ["Leilani Brandt", "Brandt"]},
]


@pytest.mark.slow
def test_base_model_answers_open_book_what_it_cannot_closed_book(default_model_dir):
    import torch

    from labtune.eval.evaluate import evaluate_questions
    from labtune.model.load import load

    torch.manual_seed(0)
    loaded = load(str(default_model_dir))
    closed = evaluate_questions(loaded, QUESTIONS, max_new_tokens=40)
    opened = evaluate_questions(loaded, QUESTIONS, max_new_tokens=40, notes=build(LABNOTES).index)
    assert not any(r.correct for r in closed), [r.answer for r in closed]
    assert all(r.correct for r in opened), [r.answer for r in opened]
