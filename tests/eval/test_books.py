"""Side by side: closed-book, open-book and right-note rows per model, retrieval hit@1/hit@3, in the table,
eval.json and the PNG."""

from __future__ import annotations

import json

import pytest
from rich.console import Console

from eval_helpers import write_run
from labtune.errors import LabtuneError
from labtune.eval.books import CLOSED, OPEN, RIGHT, book_prompts, retrieval_hits, right_notes
from labtune.eval.evaluate import Settings
from labtune.eval.questions import load_questions, question_from_dict
from labtune.eval.run import run_eval
from labtune.retrieval import build_index
from labtune.retrieval.index import build
from labtune.samples import LABNOTES

SETTINGS = Settings(max_new_tokens=4, batch_size=8)
ROWS = [
    {"question": "Who is the presenter of the 4/14/2023 lab meeting?", "answers": ["Hana Kowalczyk"],
     "kind": "presenter"},
    {"question": "Who took the notes at the 2/3/2023 lab meeting?", "answers": ["Priya Okonkwo"], "kind": "recorder"},
    {"question": "How much memory did the biggest sample need?", "answers": ["700 GB"], "kind": "content",
     "note": "2023-05-12.md"},
    {"question": "Who presented at the 1/1/2020 meeting?", "answers": ["nobody"], "kind": "presenter"},
]


@pytest.fixture
def lab_questions(tmp_path):
    path = tmp_path / "questions.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    return path


def test_right_notes_come_from_the_note_field_or_the_date():
    index = build(LABNOTES).index
    questions = [question_from_dict(r, index=i) for i, r in enumerate(ROWS)]
    assert right_notes(questions[0], index) == {"2023-spring/2023-04-14.md"}
    assert right_notes(questions[2], index) == {"2023-summer/2023-05-12.md"}
    assert right_notes(questions[3], index) is None  # no meeting on that date, no note named
    bad = question_from_dict({**ROWS[2], "note": "2099-01-01.md"}, index=7)
    with pytest.raises(LabtuneError, match="question 7: field note: '2099-01-01.md' names no note"):
        right_notes(bad, index)


def test_book_prompts_and_retrieval_hits(lab_questions):
    index = build(LABNOTES).index
    questions = load_questions(lab_questions)
    books = book_prompts(questions, index, k=3)
    opened = books.prompts[OPEN]
    assert "Presenter: Hana Kowalczyk" in opened[0][-1].content and books.used[0] == ["2023-04-14.md"]
    assert len(books.prompts[RIGHT]) == 3  # the 1/1/2020 question has no right note
    named, dateless = books.prompts[RIGHT][0][-1].content, books.prompts[RIGHT][2][-1].content
    assert "4. Plan: add isotope tracer incubations this summer" in named  # the date's meeting, whole
    assert "the largest sample needed 700 GB" in dateless  # the best lines of a note found by its words
    assert "Binning gave 85 draft genomes" not in dateless 
    assert dateless.split("\n\n")[1:3] == opened[2][-1].content.split("\n\n")[1:3]  # read as open-book reads it
    hits = retrieval_hits(books, questions)
    assert hits["questions"] == 3
    assert hits["hit@1"]["presenter"] == 1.0 and hits["hit@3"]["overall"] == 1.0


def test_eval_reports_each_mode_for_the_base_and_the_run(tmp_path, tiny_model_dir, lab_questions, monkeypatch):
    monkeypatch.setenv("LABTUNE_HOME", str(tmp_path / "home"))
    run = write_run(tmp_path / "runs" / "tuned", tiny_model_dir, tiny_model_dir)
    build_index(LABNOTES, run / "index")  # the run's own index is used when --notes is not given
    console = Console(record=True, width=220)
    out = tmp_path / "out"
    rows = run_eval([str(run)], lab_questions, None, "contains", out, SETTINGS, skip_general=True, console=console)

    assert [(r.name, r.mode) for r in rows] == [(str(tiny_model_dir), m) for m in (CLOSED, OPEN, RIGHT)] + \
        [(str(run), m) for m in (CLOSED, OPEN, RIGHT)]
    assert [len(r.results) for r in rows[:3]] == [4, 4, 3]  # right note: the questions that have one
    assert all(r.answer_seconds is not None and r.answer_seconds > 0 for r in rows)
    text = console.export_text()
    for expected in ("mode", "closed-book", "open-book", "right note", "s/question", "hit@1", "hit@3",
                     "Retrieval", "content"):
        assert expected in text
    saved = json.loads((out / "eval.json").read_text())
    assert [m["mode"] for m in saved["models"]] == [CLOSED, OPEN, RIGHT] * 2
    assert saved["notes"]["retrieval"]["hit@1"]["overall"] == 1.0
    assert saved["notes"]["used"][0] == ["2023-04-14.md"]
    assert saved["notes"]["index"] == str(run / "index")
    assert (out / "eval.png").stat().st_size > 10_000

    closed = run_eval([str(run)], lab_questions, None, "contains", tmp_path / "closed", SETTINGS,
                      skip_general=True, console=Console(record=True), closed_book=True)
    assert [r.mode for r in closed] == [CLOSED, CLOSED]
