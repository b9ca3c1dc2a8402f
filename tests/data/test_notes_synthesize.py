"""Synthesized Q&A: every fact keyed by date and topic, taught equally often in evenly spread wordings,
both directions; a self-check in wordings training never uses; the sample questions never trained on."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from labtune.data.context import NOTES_HEADER, QUESTION_HEADER, best_lines
from labtune.data.notes.card import card, with_card
from labtune.data.notes.dates import find_dates
from labtune.data.notes.lessons import lessons_of, meetings_of
from labtune.data.notes.facts import make_fact
from labtune.data.notes.parse import Fact, Note, read_notes
from labtune.data.notes.people import People
from labtune.data.notes.phrasings import (CHECK_QUESTIONS, CHECK_SPELLINGS, DATE_SPELLINGS, TRAIN_QUESTIONS,
                                          TRAIN_REFS, TRAIN_SPELLINGS, date_spellings)
from labtune.data.notes.synthesize import SynthesisPlan, synthesize
from labtune.samples import LABNOTES, LABNOTES_MESSY, LABNOTES_QUESTIONS


@pytest.fixture(scope="module")
def notes():
    return read_notes(LABNOTES).notes


def pairs(made):
    """Every (question, answer) turn of the training conversations."""
    out = []
    for conv in made.conversations:
        turns = [m.content for m in conv.messages if m.role != "system"]
        out += list(zip(turns[::2], turns[1::2]))
    return out


def note(day: date, presenter: str, recorder: str, topic: str, facts=(), name: str = "n.md") -> Note:
    fields = {"Presenter": presenter, "Recorder": recorder, "Topic": topic}
    return Note(Path(name), f"Lab meeting {day}", day, fields, f"Lab meeting {day}\n" + "\n".join(
        f"{k}: {v}" for k, v in fields.items()), facts=list(facts))


def test_same_seed_same_output_other_seed_other_output(notes):
    assert pairs(synthesize(notes, SynthesisPlan(seed=3))) == pairs(synthesize(notes, SynthesisPlan(seed=3)))
    assert pairs(synthesize(notes, SynthesisPlan(seed=3))) != pairs(synthesize(notes, SynthesisPlan(seed=4)))


def test_every_answer_opens_with_the_meetings_date_and_topic_whatever_the_wording(notes):
    made = synthesize(notes, SynthesisPlan(content=False))
    hana = next(n for n in notes if n.date == date(2023, 4, 14))
    key = "The lab meeting on April 14, 2023 was about nitrogen fixation by lake cyanobacteria"
    about = [(q, a) for q, a in pairs(made) if "Hana Kowalczyk." in a and "presenter" in a]
    assert {a for _, a in about} == {f"{key}, and the presenter was {hana.fields['Presenter']}."}
    assert len(about) == 3 + 1  # questions_per_fact forward questions and one statement


def test_each_fact_is_taught_equally_often(notes):
    plan = SynthesisPlan(questions_per_fact=4, statements_per_fact=2, reverse_per_fact=0, no_notes_per_meeting=0,
                         open_book_share=0, task_questions_per_action=0)
    made = synthesize(notes, plan)
    per_answer = Counter(a for _, a in pairs(made))
    lessons = {lesson.answer for lesson in made.lessons}
    assert set(per_answer) == lessons
    assert set(per_answer.values()) == {6}  # 4 questions + 2 statements each, roles and content alike


def test_phrasings_and_date_spellings_are_spread_so_no_wording_belongs_to_one_meeting(notes):
    made = synthesize(notes, SynthesisPlan(questions_per_fact=4, content=False, open_book_share=0))
    asked = [q for q, a in pairs(made) if "and the presenter was" in a and not q.startswith(("Tell me one", "Recall",
                                                                                             "Share", "What is one"))]
    refs = sorted({form.format(d=DATE_SPELLINGS[s](n.date)) for n in notes for form in TRAIN_REFS
                   for s in TRAIN_SPELLINGS}, key=len, reverse=True)
    templates = [next(q.replace(r, "{ref}") for r in refs if r in q) for q in asked]
    uses = Counter(templates)
    assert len(uses) == len(TRAIN_QUESTIONS["presenter"]) and max(uses.values()) - min(uses.values()) <= 1
    hana = [q for q, a in pairs(made) if a.endswith("the presenter was Hana Kowalczyk.") and "?" in q]
    spellings = {s for s in TRAIN_SPELLINGS if any(DATE_SPELLINGS[s](date(2023, 4, 14)) in q for q in hana)}
    assert len(spellings) >= 3  # one fact's questions name its date in different spellings


def test_content_facts_are_taught_with_the_full_key_and_asked_both_ways():
    facts = [Fact("Tomasz will schedule the gas chromatograph", "- Tomasz: schedule the GC", "action",
                  ["Tomasz Adeyemi"], owner="Tomasz Adeyemi", deadline="May 2"),
             Fact("Why is the deep site so low? Hana suspects light limitation.", "", "question"),
             Fact("Heterocyst counts explain most of the variation between sites", "", "item")]
    made = synthesize([note(date(2023, 4, 14), "Hana Kowalczyk", "Tomasz Adeyemi", "Nitrogen fixation", facts),
                       note(date(2023, 4, 21), "Ravi Castellano", "Priya Okonkwo", "Metagenome assembly",
                            name="m.md")], SynthesisPlan(open_book_share=0))
    answers = {a for _, a in pairs(made)}
    key = "The lab meeting on April 14, 2023 was about nitrogen fixation"
    assert f"{key}; an action item: Tomasz will schedule the gas chromatograph (Tomasz Adeyemi, by May 2)." in answers
    assert f"{key}; a question raised: Why is the deep site so low? Hana suspects light limitation." in answers
    questions = [q for q, _ in pairs(made)]
    assert "Why is the deep site so low?" in questions  # the notes' own question, asked without a date
    assert any("heterocyst counts" in q.lower() and "April 14" not in q and "4/14" not in q for q in questions)
    assert any(q.startswith("Fill in the blank") and "____" in q for q in questions)
    assert any("Hana Kowalczyk" in q and a.startswith("Hana Kowalczyk presented at the lab meeting on April 14, 2023")
               for q, a in pairs(made))
    content = [lesson for lesson in made.lessons if lesson.kind == "content"]
    assert len(content) == 3 and all(lesson.answer.startswith(key) for lesson in content)


def test_action_items_are_asked_by_their_task_for_owner_and_deadline():
    facts = [make_fact("Kenji books the gas chromatograph for the week of 6 May, by April 30", "", "action", "Actions",
                       People(["Kenji Marchetti"])),
             make_fact("Farid will order a second batch of optode foils (due 2 May)", "", "item", "", People(["Farid Wu"])),
             Fact("Heterocyst counts explain most of the variation", "", "item")]
    made = synthesize([note(date(2024, 4, 23), "Hana Kowalczyk", "Tomasz Adeyemi", "Gas fluxes", facts)],
                      SynthesisPlan(open_book_share=0, task_questions_per_action=2))
    key = "The lab meeting on April 23, 2024 was about gas fluxes"
    gc = f"{key}; an action item: Kenji books the gas chromatograph for the week of 6 May, by April 30 (Kenji Marchetti)."
    asked = {q for q, a in pairs(made) if a == gc and "April 23" not in q and "4/23" not in q and "2024" not in q}
    who = {q for q in asked if q.startswith(("Who", "Which lab member"))}
    assert len(who) == 2 and all("book" in q and "gas chromatograph for the week of 6 May?" in q for q in who)
    assert any(q.startswith(("Who will book", "Who books", "Who has to book", "Who is going to book",
                             "Which lab member will book")) for q in who)
    by_when = {q for q in asked if q.startswith(("By when", "When is", "What is the deadline"))}
    assert len(by_when) == 2 and all("Kenji Marchetti" in q and "book the gas chromatograph" in q for q in by_when)
    foils = [q for q, a in pairs(made) if "optode foils" in a and "order a second batch of optode foils?" in q]
    assert foils and not any("due" in q for q in foils)  # the parenthesis with the deadline is not part of the task
    held_out = {q.question: q.answers for q in made.check if q.kind == "content" and "2024" not in q.question}
    assert held_out["Who was asked to book the gas chromatograph for the week of 6 May?"] == ["Kenji Marchetti",
                                                                                              "Marchetti"]
    assert held_out["By what date should Kenji Marchetti book the gas chromatograph for the week of 6 May?"] == [
        "April 30"]
    assert not set(held_out) & {q for q, _ in pairs(made)}  # the check's wordings are never trained on
    quiet = synthesize([m.note for m in made.meetings], SynthesisPlan(open_book_share=0, task_questions_per_action=0))
    assert not any("Who will" in q or "By when" in q for q, _ in pairs(quiet))


def test_list_items_stand_in_for_facts_when_the_reader_found_none(notes):
    made = synthesize(notes, SynthesisPlan())
    hana = next(n for n in notes if n.date == date(2023, 4, 14))
    taught = {lesson.value for lesson in made.lessons if lesson.meeting.note is hana and lesson.kind == "content"}
    assert set(hana.items + hana.questions + hana.actions) == taught


def test_reverse_questions_answer_with_every_meeting_of_a_person(notes):
    made = synthesize(notes, SynthesisPlan(content=False, open_book_share=0))
    mateo = [a for q, a in pairs(made) if "Mateo Lindqvist" in q and q.startswith(("When did", "Which lab meetings",
                                                                                   "At which"))]
    assert mateo and all("February 3, 2023" in a or "March 10, 2023" in a for a in mateo)
    presented = [a for a in mateo if " presented at " in a]
    assert presented and all("February 3, 2023" in a and "April 28, 2023" in a for a in presented)


def test_dates_without_a_meeting_are_answered_with_no_notes(notes):
    made = synthesize(notes, SynthesisPlan(content=False, no_notes_per_meeting=1.0))
    meetings = {n.date for n in notes}
    empty = [(q, a) for q, a in pairs(made) if a.startswith("I have no notes for a lab meeting on")]
    assert len(empty) == len(notes)
    for _, answer in empty:
        said = re.search(r"on (\w+ \d+, \d{4})\.$", answer)[1]
        from datetime import datetime

        assert datetime.strptime(said, "%B %d, %Y").date() not in meetings


def test_chained_turns_are_about_different_meetings(notes):
    made = synthesize(notes, SynthesisPlan(content=False, turns=3, reverse_per_fact=0, no_notes_per_meeting=0,
                                           open_book_share=0))
    dates = re.compile(r"The lab meeting on (\w+ \d+, \d{4})")
    for conv in made.conversations:
        said = [dates.match(m.content)[1] for m in conv.messages if m.role == "assistant"]
        assert len(said) == len(set(said)) and 1 <= len(said) <= 3


def test_open_book_share_puts_the_right_notes_and_a_distractor_before_the_question(notes):
    made = synthesize(notes, SynthesisPlan(content=False, open_book_share=0.2))
    opened = [c for c in made.conversations if c.meta["kinds"] == ["open_book"]]
    assert len(opened) == made.kinds["open_book"] > 0
    reverse = 0
    for conv in opened:  # forward: the meeting's note; reverse ("When did Hana present?"): each of its meetings
        prompt, answer = conv.messages[0].content, conv.messages[1].content
        days = re.findall(r"lab meeting on (\w+ \d+, \d{4})", answer, re.IGNORECASE)
        reverse += not answer.startswith("The lab meeting on")
        assert prompt.startswith(NOTES_HEADER) and prompt.count("\n[") == len(days) + 1
        assert all(any(f"\n{with_card(n)}" in prompt and n.date.strftime("%B %-d, %Y") == d for n in notes)
                   for d in days)  # each note led by its card, as retrieval puts it in a prompt
    assert 0 < reverse < len(opened)


def test_open_book_lines_show_each_note_as_answering_does(notes):
    made = synthesize(notes, SynthesisPlan(content=False, open_book_share=0.3, open_book_lines=True))
    opened = [c.messages[0].content for c in made.conversations if c.meta["kinds"] == ["open_book"]]
    shown = Counter()
    for prompt in opened:
        question = prompt.rsplit(f"{QUESTION_HEADER} ", 1)[1]
        named = find_dates(question, numeric_without_year=True)
        for note in (n for n in notes if f"\n{card(n)}\n" in prompt):
            if any(d.matches(note.date) for d in named):  # the meeting asked about by its date: whole
                assert f"\n{with_card(note)}\n" in prompt
                shown["whole"] += 1
            else:  # its card and the lines sharing the question's words, as retrieval shows a word match
                assert f"\n{best_lines(with_card(note), question)}\n" in prompt
                shown["lines"] += best_lines(with_card(note), question) != with_card(note)
    assert shown["whole"] > 0 and shown["lines"] > 0


def test_open_book_content_teaches_the_notes_text_only_with_the_note_in_the_prompt(notes):
    plan = SynthesisPlan(content=False, reverse_per_fact=0, open_book_share=0.2)
    closed = synthesize(notes, plan)
    made = synthesize(notes, plan.model_copy(update={"open_book_content": 1.0}))
    share = synthesize(notes, plan.model_copy(update={"open_book_content": 0.25}))
    texts = {lesson.answer for lesson in lessons_of(meetings_of(notes), True) if lesson.kind == "content"}
    people = {person.answer for person in made.people}
    opened = [c.messages[1].content for c in made.conversations if c.meta["kinds"] == ["open_book"]]
    closed_book = {m.content for c in made.conversations if c.meta["kinds"] != ["open_book"] for m in c.messages}
    assert texts <= set(opened) and people <= set(opened)  # every content fact and person, with its notes
    assert not (texts | people) & closed_book and not (texts | people) & {a for _, a in pairs(closed)}
    assert len(opened) == closed.kinds["open_book"] + sum(a in texts | people for a in opened)
    reading = [c.messages[1].content for c in share.conversations if c.meta["kinds"] == ["open_book"]
               and c.messages[1].content in texts | people]  # a quarter of the facts and people, each once
    assert len({a for a in reading if a in texts}) == round(0.25 * len(texts))
    assert len({a for a in reading if a in people}) == round(0.25 * len(people))


def test_the_self_check_uses_only_wordings_training_never_uses(notes):
    made = synthesize(notes, SynthesisPlan())
    trained = {q for q, _ in pairs(made)}
    checked = [q.question for q in made.check]
    assert not trained & set(checked)
    hana = date(2023, 4, 14)
    for spelling in ("slash", "long", "iso"):
        assert not any(re.search(rf"{re.escape(DATE_SPELLINGS[spelling](hana))}(?!\d)", q) for q in checked)
    assert not any(DATE_SPELLINGS[s](hana) in q for q in trained for s in CHECK_SPELLINGS)
    templates = {t.split("{")[0] for kind in CHECK_QUESTIONS.values() for t in kind}
    assert not any(q.startswith(t) for q in trained for t in templates if len(t) > 8)
    kinds = Counter(q.kind for q in made.check)
    assert {"presenter", "recorder", "topic", "content", "reverse", "no_notes"} <= set(kinds)
    assert all(q.expected in {a for _, a in pairs(made)} or q.kind == "no_notes" for q in made.check)


def test_a_folder_that_writes_the_day_first_is_asked_its_dates_day_first():
    folder = read_notes(LABNOTES_MESSY)
    assert folder.day_first
    made = synthesize(folder.notes, SynthesisPlan(content=False), folder.day_first)
    asked = [q for q, _ in pairs(made)]
    day = date(2024, 2, 6)  # 06/02/2024 in this folder's notes
    assert any("06/02/2024" in q for q in asked) and any("6 February 2024" in q for q in asked)
    assert not any(re.search(r"(?<!\d)2/6/2024", q) for q in asked)  # month first would be 6 June here
    trained, held_out = date_spellings(True)
    spelled = {s for s in trained if any(DATE_SPELLINGS[s](day) in q for q in asked)}
    assert len(spelled) >= 3
    checked = [q.question for q in made.check]
    assert not any(DATE_SPELLINGS[s](n.date) in q for q in checked for n in folder.notes for s in trained
                   if s != "day" and n.date)
    assert any(DATE_SPELLINGS["ordinal"](n.date) in q for q in checked for n in folder.notes if n.date)
    assert date_spellings(False) == (TRAIN_SPELLINGS, CHECK_SPELLINGS)  # month-first folders as before


def test_the_sample_questions_are_never_trained_on(notes):
    made = synthesize(notes, SynthesisPlan(open_book_share=0.2, summaries_per_meeting=4, original=True))
    samples = [json.loads(line)["question"] for line in LABNOTES_QUESTIONS.read_text().splitlines() if line.strip()]
    asked = {m.content for c in made.conversations for m in c.messages if m.role == "user"}
    assert not [q for q in samples if any(q in a for a in asked)]


def test_size_scales_with_the_number_of_facts(notes):
    half = synthesize(notes[:6], SynthesisPlan(content=False, open_book_share=0))
    whole = synthesize(notes[:12], SynthesisPlan(content=False, open_book_share=0))
    assert 1.7 < sum(whole.kinds.values()) / sum(half.kinds.values()) < 2.3


def test_a_note_without_a_date_is_named_by_its_title():
    undated = Note(Path("retreat.md"), "Lab retreat", None, {"Presenter": "Ada Byron", "Topic": "Planning"}, "x")
    made = synthesize([undated, note(date(2024, 1, 9), "Bo Li", "Cy Ng", "Roots")], SynthesisPlan(content=False))
    assert any('the meeting "Lab retreat"' in q for q, _ in pairs(made))
    assert any(a.startswith('The meeting "Lab retreat" was about planning') for _, a in pairs(made))


def test_a_months_calendar_sets_its_meetings_side_by_side(notes):
    made = synthesize(notes, SynthesisPlan(content=False, calendars_per_month=2, open_book_share=0))
    march = {a for q, a in pairs(made) if "March 2023" in q}
    assert march == {"In March 2023 the lab met on March 3, 2023, about benchmarks for the 16S amplicon pipeline; "
                     "on March 10, 2023, about diatom counts from the winter samples; on March 24, 2023, about aims "
                     "for the grant renewal; on March 31, 2023, about oxygen microprofiles in the sediment."}
    months = {(n.date.year, n.date.month) for n in notes}
    assert made.kinds["calendar"] == 2 * len(months)



def test_the_check_marks_questions_the_other_way_round_taught_only_when_the_plan_teaches_them(notes):
    forward_only = synthesize(notes, SynthesisPlan(reverse_per_fact=0)).check
    assert {q.kind for q in forward_only if not q.taught} == {"reverse"}
    assert all(q.taught for q in forward_only if q.kind != "reverse")
    assert all(q.taught for q in synthesize(notes, SynthesisPlan(reverse_per_fact=1)).check)


def test_read_by_base_asks_content_facts_naming_no_meeting_and_leaves_the_training_data_as_it_was(notes):
    plan = SynthesisPlan(content=False, open_book_share=0.15)
    without = synthesize(notes, plan)
    made = synthesize(notes, plan.model_copy(update={"read_by_base": 1.0}))
    half = synthesize(notes, plan.model_copy(update={"read_by_base": 0.5}))
    assert without.reading == []
    assert [c.messages for c in made.conversations] == [c.messages for c in without.conversations]
    meeting_days = {n.date for n in notes}
    for asked in made.reading:  # no question names a meeting: retrieval must find the note by its words
        assert not any(d.matches(day) for d in find_dates(asked.question, numeric_without_year=True)
                       for day in meeting_days), asked.question
    facts = [lesson for lesson in lessons_of(meetings_of(notes), True) if lesson.kind == "content"]
    content = [q for q in made.reading if q.kind == "content"]
    assert len(content) >= 0.9 * len(facts)  # each fact once, save blanks too short to check
    for asked in content:  # the answer is the fact's words, or the owner of the action item asked by its task
        assert any(asked.answers[0].lower() in f.value.lower() or asked.answers[0] == (f.fact.owner or "")
                   for f in facts), asked
    meetings = [q for q in made.reading if q.kind == "reverse"]  # "Which meeting discussed ...?": its day
    assert meetings and all(re.fullmatch(r"[A-Z][a-z]+ \d{1,2}", q.answers[0]) for q in meetings)
    assert 0 < len(half.reading) < len(made.reading)


def test_a_close_distractor_is_a_note_retrieval_would_put_beside_the_right_one():
    import random

    from labtune.data.notes.synthesize import distractor, note_words

    folder = [note(date(2024, 1, 30), "Farid Engström", "Siobhan Takahashi", "Greenhouse irrigation", name="a.md"),
              note(date(2024, 4, 30), "Siobhan Takahashi", "Farid Engström", "Litter decomposition", name="b.md"),
              note(date(2024, 1, 16), "Ines Halvorsen", "Dmitri Salonen", "Nitrogen mineralization", name="c.md"),
              note(date(2024, 3, 5), "Wanjiru Achterberg", "Tobias Okafor", "Field campaign", name="d.md"),
              note(date(2024, 2, 13), "Kenji Marchetti", "Lucía Nakamura", "Seed bank trial", name="e.md"),
              note(date(2024, 5, 21), "Beatriz Oyelaran", "Ines Halvorsen", "Root segmentation", name="f.md")]
    meetings = meetings_of(folder)
    right = [m for m in meetings if m.note.path.name == "a.md"]
    question = "When did Farid Engström present, on January 30?"
    words = note_words(meetings)
    close = {distractor(right, meetings, random.Random(s), question, words).note.path.name for s in range(40)}
    anywhere = {distractor(right, meetings, random.Random(s), question, None).note.path.name for s in range(40)}
    assert close == {"b.md", "c.md"}  # Farid in another role on another 30th; another January meeting
    assert anywhere == {"b.md", "c.md", "d.md", "e.md", "f.md"}
    unrelated = distractor(right, meetings, random.Random(0), "Tell me about quasars", words)
    assert unrelated is not None and unrelated.note.path.name != "a.md"  # no note shares a word: any other
    assert distractor(meetings, meetings, random.Random(0), question, words) is None


@pytest.mark.parametrize("lines", [True, False])
def test_close_distractors_change_only_which_note_stands_beside_the_right_one(notes, lines):
    plan = SynthesisPlan(content=False, open_book_share=0.3, open_book_lines=lines)
    loose = synthesize(notes, plan)
    close = synthesize(notes, plan.model_copy(update={"close_distractors": True}))
    assert Counter(pairs(loose)) != Counter(pairs(close))  # other notes in the prompts
    assert Counter(a for _, a in pairs(loose)) == Counter(a for _, a in pairs(close))  # the same lessons
