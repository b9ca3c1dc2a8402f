"""Ranking: the meeting on the named date first, then BM25 on the words; no evidence, no hit."""

from __future__ import annotations

import json

from labtune.retrieval import search
from labtune.retrieval.index import build
from testpaths import REPO

CONTENT_QUESTIONS = REPO / "tests" / "retrieval" / "content-questions.jsonl"


def test_the_meeting_on_the_named_date_ranks_first_whatever_the_words(two_year_notes):
    index = build(two_year_notes).index
    # "boat" and "lake" point at the May meeting; the date says April 14, 2023
    hits = search(index, "Was the boat on the lake at the April 14th, 2023 meeting?", k=3)
    assert hits[0].chunk.date == "2023-04-14" and hits[0].date_match
    assert [h.date_match for h in hits] == [True, False, False][:len(hits)]


def test_a_yearless_date_matches_every_year_present(two_year_notes):
    index = build(two_year_notes).index
    hits = search(index, "Who presented at the Apr 14 meeting?", k=3)
    assert {h.chunk.date for h in hits if h.date_match} == {"2022-04-14", "2023-04-14"}


def test_bm25_ranks_by_words_and_stems_them(two_year_notes):
    index = build(two_year_notes).index
    assert search(index, "who trained people to drive the boat?", k=1)[0].chunk.date == "2023-05-05"
    # "drilled" finds "Drilling" only through the stemmer
    (hit,) = search(index, "where was ice drilled", k=1)
    assert hit.chunk.date == "2022-04-14" and not hit.date_match


def test_nothing_is_returned_without_evidence(two_year_notes):
    index = build(two_year_notes).index
    assert search(index, "hello there", k=3) == []
    assert search(index, "What happened on 1/1/2020?", k=3) == []


def test_word_questions_find_their_meeting_in_the_sample_notes(lab_notes):
    """26 undated questions about note contents (tests/retrieval/content-questions.jsonl)."""
    index = build(lab_notes).index
    questions = [json.loads(line) for line in CONTENT_QUESTIONS.read_text().splitlines()]
    ranked = [[h.chunk.note.rsplit("/", 1)[-1] for h in search(index, q["question"], k=3)] for q in questions]
    hit1 = sum(r[:1] == [q["note"]] for q, r in zip(questions, ranked))
    hit3 = sum(q["note"] in r for q, r in zip(questions, ranked))
    assert hit1 >= 25 and hit3 == 26, (hit1, hit3)


def test_sample_questions_all_retrieve_their_meeting_first(lab_notes):
    from labtune.samples import LABNOTES_QUESTIONS

    index = build(lab_notes).index
    for line in LABNOTES_QUESTIONS.read_text().splitlines():
        question = json.loads(line)["question"]
        (hit,) = search(index, question, k=1)
        assert hit.date_match, question
