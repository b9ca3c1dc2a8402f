"""The second sample folder (labnotes-messy: another lab's notes in the layouts people write) against its
ground truth: every meeting's date, presenter, recorder, topic and chair, every action item's owner and
deadline, and nothing read that is not there."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest

from labtune.data.notes.parse import read_notes
from labtune.samples import LABNOTES_MESSY, LABNOTES_MESSY_QUESTIONS, LABNOTES_MESSY_TRUTH

TRUTH = json.loads(LABNOTES_MESSY_TRUTH.read_text(encoding="utf-8"))
ROLE_KEYS = {"presenter": "Presenter", "recorder": "Recorder", "topic": "Topic", "chair": "Chair"}


def same(found: str | None, expected: str | None) -> bool:
    """Equal but for case, a leading article and end punctuation ("the nitrogen ..." = "nitrogen ...")."""
    def norm(text):
        return re.sub(r"^(?:the|a|an)\s+", "", " ".join((text or "").casefold().split())).strip(" .")
    return norm(found) == norm(expected)


@pytest.fixture(scope="module")
def folder():
    return read_notes(LABNOTES_MESSY)


def meeting(folder, truth):
    matches = [n for n in folder.notes if n.path == LABNOTES_MESSY / truth["file"]
               and n.date == date.fromisoformat(truth["date"])]
    assert len(matches) == 1, (truth["file"], truth["date"], [(n.path.name, n.date) for n in folder.notes])
    return matches[0]


def test_the_folder_says_it_writes_dates_day_first_so_questions_can_be_read_alike(folder):
    from labtune.data.notes.dates import find_dates

    assert folder.day_first is True
    (mention,) = find_dates("Who took the minutes at the lab meeting on 02/04/2024?", day_first=folder.day_first)
    assert mention.date == date(2024, 4, 2)


def test_every_meeting_is_found_once_and_nothing_else(folder):
    expected = sorted((m["file"], m["date"]) for m in TRUTH["meetings"])
    found = sorted((str(n.path.relative_to(LABNOTES_MESSY)), n.date.isoformat()) for n in folder.notes)
    assert found == expected
    assert [(str(p.relative_to(LABNOTES_MESSY)), r.split(" ")[0]) for p, r in folder.skipped] == [
        (s["file"], s["reason"].split(" ")[0]) for s in TRUTH["skipped"]]


@pytest.mark.parametrize("truth", TRUTH["meetings"], ids=lambda m: f"{m['date']} {m['layout'][:30]}")
def test_roles_and_topic_match_the_truth_and_no_other_role_is_read(folder, truth):
    note = meeting(folder, truth)
    for name, key in ROLE_KEYS.items():
        assert same(note.fields.get(key), truth.get(name)), (key, note.fields.get(key), note.field_sources.get(key))


@pytest.mark.parametrize("truth", TRUTH["meetings"], ids=lambda m: f"{m['date']} {m['layout'][:30]}")
def test_every_action_item_has_its_owner_and_deadline(folder, truth):
    note = meeting(folder, truth)
    for action in truth["actions"]:
        facts = [f for f in note.facts if action["task"].casefold() in f.text.casefold()]
        assert len(facts) == 1, (action["task"], [f.text for f in note.facts])
        fact = facts[0]
        assert fact.kind == "action", (fact.text, fact.kind)
        assert fact.owner == action["owner"], (fact.text, fact.owner)
        assert same(fact.deadline, action["deadline"]), (fact.text, fact.deadline)
        assert action["owner"] in fact.people


def test_every_fact_keeps_the_sentence_it_came_from(folder):
    for note in folder.notes:
        assert note.facts, note.path
        text = " ".join(note.text.split())
        for fact in note.facts:
            assert fact.sentence and fact.text
            bare = re.sub(r"(\*\*|__)", "", fact.sentence)
            assert " ".join(bare.split()) in re.sub(r"(\*\*|__)", "", text) or "|" in fact.sentence, fact.sentence


def test_the_questions_cover_every_kind_and_name_meetings_of_the_folder():
    questions = [json.loads(line) for line in LABNOTES_MESSY_QUESTIONS.read_text(encoding="utf-8").splitlines()]
    assert {q["kind"] for q in questions} == {"presenter", "recorder", "topic", "content", "reverse"}
    assert all(q["answers"] and all(isinstance(a, str) and a for a in q["answers"]) for q in questions)
    people = {m[role] for m in TRUTH["meetings"] for role in ("presenter", "recorder")}
    for q in questions:
        if q["kind"] in ("presenter", "recorder"):
            assert q["answers"][0] in people
