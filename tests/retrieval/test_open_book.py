"""Open-book messages: the retrieved notes in the last user turn (data.context's format), and their names."""

from __future__ import annotations

from dataclasses import replace

from labtune.data.context import NOTES_HEADER, QUESTION_HEADER
from labtune.data.conversation import Message
from labtune.retrieval import open_book
from labtune.data.context import BEST_LINES
from labtune.retrieval.open_book import reading
from labtune.retrieval.index import build

QUESTION = "Who is the presenter of the 4/14/2023 lab meeting?"


def test_the_notes_go_before_the_question_in_the_last_user_turn(lab_notes):
    index = build(lab_notes).index
    messages = [Message("system", "Be brief."), Message("user", QUESTION)]
    opened, sources = open_book(messages, index)
    assert sources == ["2023-04-14.md"]  # a named date: that meeting only
    assert opened[0] == messages[0] and len(opened) == 2
    content = opened[1].content
    note = (lab_notes / "2023-spring" / "2023-04-14.md").read_text().strip()
    card = ("The lab meeting on April 14, 2023 was about nitrogen fixation by lake cyanobacteria; the presenter "
            "was Hana Kowalczyk and the recorder was Tomasz Adeyemi.\n"
            "Action item for Hana Kowalczyk: share the assay spreadsheet\n"
            "Action item for Tomasz Adeyemi: schedule the gas chromatograph")
    asked = "Who is the presenter of the April 14, 2023 lab meeting?"  # the date as the card writes it
    assert content == f"{NOTES_HEADER}\n\n[2023-04-14.md]\n{card}\n\n{note}\n\n{QUESTION_HEADER} {asked}"
    assert messages[1].content == QUESTION  # the caller's messages are not changed


def test_without_a_date_the_best_word_matches_go_in_up_to_k(lab_notes):
    index = build(lab_notes).index
    _, sources = open_book([Message("user", "How much memory did the biggest metagenome sample need?")], index, k=2)
    assert sources[0] == "2023-05-12.md" and len(sources) <= 2


def test_a_note_found_by_words_goes_in_as_its_card_and_its_best_lines_in_order(lab_notes):
    index = build(lab_notes).index
    opened, sources = open_book([Message("user", "How much memory did the biggest metagenome sample need?")], index)
    assert sources == ["2023-05-12.md"]
    card = ("The lab meeting on May 12, 2023 was about metagenome assembly on the cluster; the presenter was "
            "Ravi Castellano and the recorder was Oskar Villanueva.")
    lines = ["Topic: Metagenome assembly on the cluster",  # one word shared, as the lines after the first
             "1. Ravi assembled the twelve winter metagenomes",
             "2. Memory is the limit: the largest sample needed 700 GB",  # three words shared: the best
             "3. Co-assembly by site gives longer contigs than single samples",
             "- Can we get a larger memory node? Ravi will write to research computing."]
    assert opened[0].content.split("\n\n")[1:3] == [f"[2023-05-12.md]\n{card}", "\n".join(lines)]
    assert "Binning gave 85 draft genomes" not in opened[0].content  # no word of the question


def test_reading_keeps_a_named_meeting_or_a_note_with_no_matching_line_whole(lab_notes):
    index = build(lab_notes).index
    chunk = next(c for c in index.chunks if c.source == "2023-05-12.md")
    assert reading(chunk, "How much memory did the biggest sample need?", whole=True) == chunk.passage
    assert reading(chunk, "Tell me about quasars", whole=False) == chunk.passage
    best = reading(chunk, "How much memory did the biggest sample need?", whole=False).text.split("\n")
    assert len(best) <= 2 + BEST_LINES and best[1] == ""  # the card's one sentence, a blank line, the lines
    many = chunk.text + "\n" + "\n".join(f"- memory note {i}" for i in range(10))
    shown = reading(replace(chunk, text=many), "memory", whole=False).text.split("\n\n")[1].split("\n")
    assert len(shown) == BEST_LINES and shown[0] == "2. Memory is the limit: the largest sample needed 700 GB"


def test_a_follow_up_stays_on_the_meeting_named_earlier(lab_notes):
    index = build(lab_notes).index
    history = [Message("user", QUESTION), Message("assistant", "Hana Kowalczyk."),
               Message("user", "And who took the notes?")]
    opened, sources = open_book(history, index)
    assert sources == ["2023-04-14.md"]
    assert opened[0].content == "Who is the presenter of the April 14, 2023 lab meeting?"  # every turn's dates
    assert opened[1] == history[1] and opened[2].content.endswith("Question: And who took the notes?")


def test_no_index_or_nothing_found_leaves_the_messages_closed_book(lab_notes):
    messages = [Message("user", "hello there")]
    assert open_book(messages, None) == (messages, [])
    assert open_book(messages, build(lab_notes).index) == (messages, [])


def test_the_index_answered_with_is_notes_then_the_runs_own_then_none(lab_notes, tmp_path):
    import json

    import pytest

    from labtune.errors import LabtuneError
    from labtune.retrieval import build_index, index_for

    run = tmp_path / "run"
    run.mkdir()
    (run / "labtune.json").write_text(json.dumps({"template": "tokenizer", "base_model": "smollm2-135m"}))
    assert index_for(str(run)) is None  # a run without an index answers closed-book
    build_index(lab_notes, run / "index")
    assert index_for(str(run)).path == run / "index"
    assert index_for(str(run), closed_book=True) is None
    assert index_for("smollm2-135m", notes=lab_notes).path is None  # a folder, indexed in memory
    with pytest.raises(LabtuneError, match="contradict"):
        index_for(str(run), notes=lab_notes, closed_book=True)
    with pytest.raises(LabtuneError, match="contradict"):
        index_for(str(run), closed_book=True, open_book=True)
    with pytest.raises(LabtuneError, match="--open-book needs a run with a notes index"):
        index_for("smollm2-135m", open_book=True)


def test_a_run_measured_answering_better_from_its_weights_answers_closed_book_unless_asked(lab_notes, tmp_path):
    import json

    from labtune.cli.serve import book_line
    from labtune.retrieval import build_index, index_for

    run = tmp_path / "run"
    run.mkdir()
    (run / "labtune.json").write_text(json.dumps({"template": "tokenizer", "base_model": "smollm2-135m"}))
    build_index(lab_notes, run / "index")
    measured = {"mode": "closed-book", "questions": 48, "closed_book": 0.98, "open_book": 0.81}
    (run / "report.json").write_text(json.dumps({"answering": measured}))
    assert index_for(str(run)) is None
    assert book_line(str(run), None) == ("closed book: this run answered 98% of 48 held-out questions from its "
                                         "weights and 81% with its notes (--open-book to use them)")
    assert index_for(str(run), open_book=True).path == run / "index"
    (run / "report.json").write_text(json.dumps({"answering": {**measured, "mode": "open-book"}}))
    assert index_for(str(run)).path == run / "index"
    assert book_line(str(run), index_for(str(run))).startswith("open book: 13 meetings from ")

    # A report that cannot be read, or a measurement without its figures, is no measurement: open-book.
    for broken in ("{not json", "[1, 2]", json.dumps({"answering": {"mode": "closed-book"}}),
                   json.dumps({"answering": {**measured, "closed_book": "high"}})):
        (run / "report.json").write_text(broken)
        assert index_for(str(run)).path == run / "index", broken


def _folder(tmp_path, notes: dict[str, str]):
    for name, text in notes.items():
        (tmp_path / name).write_text(text)
    return build(tmp_path).index


def test_a_much_weaker_match_stays_out_of_the_prompt_and_an_equal_one_goes_in(tmp_path):
    index = _folder(tmp_path, {
        "2024-01-09.md": "# Lab meeting 2024-01-09\nPresenter: Hana Kowalczyk\nTopic: optodes\n\n"
                         "- Farid will order a second batch of optode foils.\n",
        "2024-01-16.md": "# Lab meeting 2024-01-16\nPresenter: Ines Halvorsen\nTopic: soil cores\n\n"
                         "- The new foils arrived.\n",
        "2024-01-23.md": "# Lab meeting 2024-01-23\nPresenter: Hana Kowalczyk\nTopic: diatoms\n\n"
                         "- Counts are done.\n",
    })
    _, sources = open_book([Message("user", "Who will order a second batch of optode foils?")], index)
    assert sources == ["2024-01-09.md"]  # the other note shares one word: not evidence enough beside it
    _, sources = open_book([Message("user", "When did Hana Kowalczyk present?")], index)
    assert sorted(sources) == ["2024-01-09.md", "2024-01-23.md"]
