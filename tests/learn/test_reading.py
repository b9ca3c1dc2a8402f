"""The base model's own reading kept: its right open-book answers, cut after the answer, as training data."""

from __future__ import annotations

import pytest

from labtune.data.context import NOTES_HEADER, QUESTION_HEADER
from labtune.data.notes.synthesize import CheckQuestion
from labtune.learn import reading
from labtune.learn.reading import first_right_sentences, read_by_base
from labtune.retrieval import build_index
from labtune.samples import LABNOTES


def test_an_answer_is_cut_after_its_first_sentence_holding_the_fact():
    said = "The analyzer that needs a catalyst tube is the TOC analyzer. It was bought in 2019. The TOC analyzer ..."
    assert first_right_sentences(said, ["TOC analyzer"]) == "The analyzer that needs a catalyst tube is the TOC analyzer."
    assert first_right_sentences("It needs work. Ask Kenji Marchetti!  Then wait.", ["Marchetti"]) == \
        "It needs work. Ask Kenji Marchetti!"
    assert first_right_sentences("The notes do not say.", ["TOC analyzer"]) is None
    # Cut off at the answer length inside the sentence that holds the answer: not taught as an answer
    assert first_right_sentences("It was on April 2, 2024; the recorder was Farid Eng", ["April 2"]) is None
    assert first_right_sentences('He said "It was on April 2."', ["April 2"]) == 'He said "It was on April 2."'


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    return build_index(LABNOTES, tmp_path_factory.mktemp("index")).index


def test_only_right_answers_are_kept_each_with_the_notes_answering_retrieves(index, monkeypatch):
    questions = [CheckQuestion("What do the lab notes say about the boat rack?", ["Oskar"], "content", ""),
                 CheckQuestion("Which meeting discussed diatom counts?", ["March 10"], "reverse", "")]
    said = ["Oskar will check the rack. Then more.", "It was in June."]
    monkeypatch.setattr("labtune.eval.answer.generate_answers", lambda loaded, prompts, *a, **k: said[:len(prompts)])
    kept = read_by_base(object(), questions, index, 48)
    assert len(kept) == 1
    prompt, answer = kept[0].messages
    assert prompt.content.startswith(NOTES_HEADER) and "2023-02-03.md" in prompt.content  # the boat note
    assert prompt.content.endswith(f"{QUESTION_HEADER} {questions[0].question}")
    assert answer.role == "assistant" and answer.content == "Oskar will check the rack."
    assert read_by_base(object(), questions, None, 48) == [] == read_by_base(object(), [], index, 48)
    assert reading.__doc__


def test_an_abbreviation_does_not_end_the_sentence_kept():
    said = "The talk was given by Dr. Lindqvist on the cores. Then lunch."
    assert first_right_sentences(said, ["cores"]) == "The talk was given by Dr. Lindqvist on the cores."
