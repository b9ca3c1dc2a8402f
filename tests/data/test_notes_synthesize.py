"""Synthesized conversations: deterministic, every field and date spelling covered, sample questions unseen."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest

from labtune.data.notes.parse import parse_note, read_notes
from labtune.data.notes.synthesize import SynthesisOptions, synthesize
from labtune.samples import LABNOTES, LABNOTES_QUESTIONS

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def notes():
    return read_notes(LABNOTES).notes


def texts(made):
    return [[(m.role, m.content) for m in c.messages] for c in made.conversations]


def test_same_seed_same_output_other_seed_other_output(notes):
    assert texts(synthesize(notes, SynthesisOptions(seed=3))) == texts(synthesize(notes, SynthesisOptions(seed=3)))
    assert texts(synthesize(notes, SynthesisOptions(seed=3))) != texts(synthesize(notes, SynthesisOptions(seed=4)))


def field_qa(notes, **options):
    made = synthesize(notes, SynthesisOptions(questions_per_field=4, original=False, structure=False, cross=False,
                                              summary=0, **options))
    note = next(n for n in notes if n.date == date(2023, 4, 14))
    return note, [c for c in made.conversations if c.source == str(note.path)]


SPELLINGS = [r"4/14/2023", r"April 14, 2023", r"2023-04-14", r"April 14(?!, 2023)"]


def test_every_field_is_asked_in_every_date_spelling_and_answered_in_one(notes):
    note, about = field_qa(notes, lead_with_topic=False)
    assert len(about) == 4 * len(note.fields)
    for key, value in note.fields.items():
        asked = [c for c in about if value.lower() in c.messages[1].content.lower()]
        assert len(asked) == 4, key
        for spelling in SPELLINGS:  # each date spelling once per field in the questions
            assert sum(bool(re.search(spelling, c.messages[0].content)) for c in asked) == 1, (key, spelling)
        # ...and one sentence per fact in the answers, whatever the question's spelling
        assert {c.messages[1].content.lower() for c in asked} == {
            f"the {key.lower()} of the lab meeting on april 14, 2023 was {value.lower()}."}
    questions = {c.messages[0].content for c in about}
    assert len(questions) == len(about)  # no question repeated


def test_answers_can_echo_the_questions_date_spelling(notes):
    note, about = field_qa(notes, answer_date="question", lead_with_topic=False)
    for key, value in note.fields.items():
        answers = [c.messages[1].content for c in about if value.lower() in c.messages[1].content.lower()]
        for spelling in SPELLINGS:
            assert sum(bool(re.search(spelling, a)) for a in answers) == 1, (key, spelling)
        assert all(a.startswith(f"The {key.lower()} of ") for a in answers)
    with pytest.raises(ValueError, match="answer_date"):
        synthesize(notes, SynthesisOptions(answer_date="tomorrow"))


def test_statements_name_no_meeting_and_answer_with_date_and_role(notes):
    from labtune.data.notes.synthesize import STATEMENT_PROMPTS

    made = synthesize(notes, SynthesisOptions(questions_per_field=1, statements=2, original=False, structure=False,
                                              cross=False, summary=0, lead_with_topic=False))
    said = [c for c in made.conversations if c.meta["kind"] == "statement"]
    assert len(said) == 2 * sum(len(n.fields) for n in notes)
    assert all(c.messages[0].content in STATEMENT_PROMPTS for c in said)
    note = next(n for n in notes if n.date == date(2023, 4, 14))
    mine = {c.messages[1].content for c in said if c.source == str(note.path)}
    assert f"The recorder of the lab meeting on April 14, 2023 was {note.fields['Recorder']}." in mine
    assert f"The presenter of the lab meeting on April 14, 2023 was {note.fields['Presenter']}." in mine
    iso = synthesize(notes, SynthesisOptions(questions_per_field=1, statements=1, original=False, structure=False,
                                             cross=False, summary=0, answer_date="iso", lead_with_topic=False))
    assert any(c.messages[1].content == f"The recorder of the lab meeting on 2023-04-14 was {note.fields['Recorder']}."
               for c in iso.conversations if c.meta["kind"] == "statement")


def test_kinds_original_cross_structure_summary(notes):
    made = synthesize(notes, SynthesisOptions())
    assert made.kinds["original"] == len(notes)
    original = next(c for c in made.conversations if c.meta["kind"] == "original" and "4/14/2023" in c.messages[0].content)
    assert original.messages[0].content == "Lab meeting on 4/14/2023"
    assert "Presenter: Hana Kowalczyk" in original.messages[1].content
    qa = {c.messages[0].content: c.messages[1].content for c in made.conversations}
    assert qa["When did Mateo Lindqvist present?"].count("lab meeting") == 2  # presented twice
    assert "Hana Kowalczyk" in qa["What topics did the lab cover in April 2023?"]
    recorded = [n.fields["Recorder"] for n in notes]
    top = max(recorded.count(r) for r in recorded)
    leaders = {r for r in recorded if recorded.count(r) == top}
    assert all(name in qa["Who recorded the most lab meetings?"] for name in leaders)
    summary = [c.messages[1].content for c in made.conversations if c.meta["kind"] == "summary"]
    assert ("The lab meeting on April 14, 2023 was about nitrogen fixation by lake cyanobacteria; the presenter "
            "was Hana Kowalczyk and the recorder was Tomasz Adeyemi.") in summary
    dated = synthesize(notes, SynthesisOptions(lead_with_topic=False))
    summary = [c.messages[1].content for c in dated.conversations if c.meta["kind"] == "summary"]
    assert any("Hana Kowalczyk presented on nitrogen fixation" in s and "Tomasz Adeyemi recorded" in s
               for s in summary)
    assert made.kinds["structure"] > 0


def test_answers_open_with_the_topic_and_name_the_role_right_before_the_person(notes):
    note, about = field_qa(notes, statements=1)
    head = "The lab meeting on April 14, 2023 was about nitrogen fixation by lake cyanobacteria"
    assert note.fields["Topic"] == "Nitrogen fixation by lake cyanobacteria"
    answers = {c.messages[1].content for c in about}
    assert answers == {f"{head}.", f"{head}, and the presenter was Hana Kowalczyk.",
                       f"{head}, and the recorder was Tomasz Adeyemi."}
    assert len(about) == 5 * len(note.fields)  # 4 questions and 1 statement per field, as without the lead
    # echoing the question's date spelling still works with the topic in front
    note, about = field_qa(notes, answer_date="question")
    heads = [c.messages[1].content.split(" was about ")[0] for c in about]
    assert all(any(re.search(spelling, h) for h in heads) for spelling in SPELLINGS)


def test_notes_without_a_short_topic_keep_the_date_led_answers():
    untitled = parse_note(Path("2023-05-01.md"), "Lab meeting 5/1/2023\nPresenter: Ada Quill\n")
    wordy = parse_note(Path("2023-05-02.md"), "Lab meeting 5/2/2023\nPresenter: Bo Lind\nTopic: "
                       + " ".join(["word"] * 17) + "\n")
    braces = parse_note(Path("2023-05-03.md"), "Lab meeting 5/3/2023\nRecorder: Cy Marr\nTopic: {x} sets\n")
    made = synthesize([untitled, wordy, braces], SynthesisOptions(questions_per_field=1, summary=1, original=False,
                                                                  structure=False, cross=False))
    said = {c.messages[1].content for c in made.conversations}
    assert "The presenter of the lab meeting on May 1, 2023 was Ada Quill." in said
    assert "The presenter of the lab meeting on May 2, 2023 was Bo Lind." in said
    assert "The lab meeting on May 3, 2023 was about {x} sets, and the recorder was Cy Marr." in said
    assert "The lab meeting on May 3, 2023 was about {x} sets; the recorder was Cy Marr." in said


def test_generic_keys_and_undated_notes_get_questions_too():
    note = parse_note(Path("x.md"), "Field day\nLocation: North dock\nPresenter: Ada Quill\n")
    made = synthesize([note], SynthesisOptions(questions_per_field=2, summary=1))
    qa = {c.messages[0].content: c.messages[1].content for c in made.conversations}
    location = [a for a in qa.values() if a.startswith("The location of")]
    assert location and all('the meeting "Field day"' in a and "North dock" in a for a in location)
    assert qa['Lab meeting: Field day'].startswith("Field day")


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w/]+", " ", text.lower()).split())


@pytest.mark.parametrize("options", [SynthesisOptions(), SynthesisOptions(questions_per_field=3, summary=2,
                                                                           original=False, structure=False,
                                                                           cross=False)])
def test_sample_questions_never_appear_verbatim_in_the_training_data(notes, options):
    corpus = _norm("\n".join(m.content for c in synthesize(notes, options).conversations for m in c.messages))
    questions = [json.loads(line)["question"] for line in (LABNOTES_QUESTIONS)
                 .read_text().splitlines() if line.strip()]
    assert len(questions) >= 3 * len(notes)
    leaked = [q for q in questions if _norm(q) in corpus]
    assert not leaked


def test_chained_turns_hold_the_same_qa_each_conversation_about_different_notes(notes):
    plain = SynthesisOptions(questions_per_field=4, summary=2, original=False, structure=False, cross=False)
    chained = SynthesisOptions(questions_per_field=4, summary=2, original=False, structure=False, cross=False, turns=3)
    single, multi = synthesize(notes, plain).conversations, synthesize(notes, chained).conversations
    pairs = lambda convs: sorted((c.messages[i].content, c.messages[i + 1].content)
                                 for c in convs for i in range(0, len(c.messages), 2))
    assert pairs(multi) == pairs(single)  # nothing lost or added, only regrouped
    assert all(len(c.messages) <= 6 for c in multi)
    # Greedy grouping: a Q&A whose note is in every group with room opens a new group, so the
    # packing may miss the tight count by one.
    assert -(-len(single) // 3) <= len(multi) <= -(-len(single) // 3) + 1
    assert sum(len(c.messages) < 6 for c in multi) <= 2
    note_of = {c.messages[1].content: c.source for c in single}
    for conv in multi:
        sources = [note_of[m.content] for m in conv.messages[1::2]]
        assert len(set(sources)) == len(sources), "one conversation never asks twice about the same note"
