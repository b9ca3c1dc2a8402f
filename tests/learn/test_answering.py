"""Which way a run answers: the recipe's, unless the held-out check reads the other way better beyond chance."""

from __future__ import annotations

import pytest

from labtune.eval.evaluate import QuestionResult
from labtune.learn.answering import answering_mode, paired_p_value, trained_open_book
from labtune.learn.recipe import load_recipe


def _results(right: list[bool]) -> list[QuestionResult]:
    return [QuestionResult(f"q{i}", ["a"], "a" if ok else "b", ok, "presenter") for i, ok in enumerate(right)]


def test_one_question_more_either_way_leaves_the_recipes_way():
    closed = _results([True] * 14 + [False] * 11)  # 56%
    opened = _results([True] * 13 + [False] + [True] * 2 + [False] * 9)  # 60%: 1 lost, 2 won
    assert paired_p_value(closed, opened) == pytest.approx(1.0)
    assert answering_mode(closed, opened, open_by_recipe=False)["mode"] == "closed-book"
    assert answering_mode(closed, opened, open_by_recipe=True)["mode"] == "open-book"


def test_a_clear_difference_overrules_the_recipe_either_way():
    closed = _results([True] * 10 + [False] * 15)
    opened = _results([True] * 10 + [True] * 8 + [False] * 7)  # 8 won, none lost: p = 2 / 2**8
    assert paired_p_value(closed, opened) == pytest.approx(2 / 2**8)
    mode = answering_mode(closed, opened, open_by_recipe=False)
    assert (mode["mode"], mode["recipe_mode"], mode["closed_book"], mode["open_book"]) == (
        "open-book", "closed-book", 0.4, 0.72)
    assert answering_mode(opened, closed, open_by_recipe=True)["mode"] == "closed-book"


def test_the_recipes_that_put_notes_in_prompts_answer_open_book_by_default():
    assert [trained_open_book(load_recipe(name).synthesis) for name in ("notes", "notes-content", "notes-open-book")] \
        == [False, True, True]
