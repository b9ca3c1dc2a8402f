"""Facts: the kind of each item, the owner and deadline of action items as people write them, numbers,
instruments and samples, and the people named."""

from __future__ import annotations

import pytest

from labtune.data.notes.facts import find_deadline, find_owner, make_fact
from labtune.data.notes.people import People

PEOPLE = People(["Hana Kowal", "Tomasz Nowak", "Ana Lima", "Ravi Shah"])


@pytest.mark.parametrize("text, in_actions, owner", [
    ("Hana: share the spreadsheet", False, "Hana Kowal"),
    ("Tomasz will ask the chemistry lab", False, "Tomasz Nowak"),
    ("@ana check the pump", False, "Ana Lima"),
    ("Order gloves (owner: Ravi)", False, "Ravi Shah"),
    ("Ravi to send the draft by Friday", False, "Ravi Shah"),
    ("Hana and Ravi to clean the hood", False, "Hana Kowal and Ravi Shah"),
    ("Ana books the centrifuge", True, "Ana Lima"),
    ("Restock pipette tips [Tomasz]", True, "Tomasz Nowak"),
    ("Everyone: sign up for a slot", True, "everyone"),
    ("Zoe will email the vendor", False, "Zoe"),  # a capitalised name the folder does not know
    ("The pump will be fixed on Monday", False, None),
    ("Calibration should be repeated every morning", True, None),  # a passive's subject is no owner
    ("Hana will be presenting in June", False, "Hana Kowal"),
    ("Ana: can you check?", False, None),
    ("Ana thinks it is fine", False, None),
    ("Location: room 12", False, None),
])
def test_owners_in_the_forms_people_write(text, in_actions, owner):
    assert find_owner(text, PEOPLE, in_actions)[0] == owner


@pytest.mark.parametrize("text, deadline", [
    ("send it by June 1", "June 1"), ("send it by fri", "fri"), ("finish before the next meeting",
                                                                 "before the next meeting"),
    ("order tips (due 5/3)", "5/3"), ("draft due 3 May, then review", "3 May"),
    ("by the end of April", "the end of April"),
    ("book it by mid-May", "mid-May"), ("deadline: 2024-06-01", "2024-06-01"), ("by next Tuesday", "next Tuesday"),
    ("counted by hand", None), ("presented by Ana", None), ("fell by a third", None), ("calibrate before use", None),
])
def test_deadlines_in_the_forms_people_write(text, deadline):
    assert find_deadline(text) == deadline


@pytest.mark.parametrize("text, kind", [
    ("Decision: keep the current pipeline", "decision"), ("We agreed to sample weekly", "decision"),
    ("Why is the deep site so low?", "question"), ("Hana will share the data", "action"),
    ("Yield was 42 % lower at 25 °C", "number"), ("Three transects per site", "item"),
])
def test_kind_of_an_item(text, kind):
    assert make_fact(text, text, "item", "", PEOPLE).kind == kind


def test_questions_section_keeps_the_question_kind_but_finds_its_owner():
    fact = make_fact("Can we borrow the GC? Tomasz will ask.", "- Can we ...", "item", "Questions", PEOPLE)
    assert (fact.kind, fact.people) == ("question", ["Tomasz Nowak"])


def test_numbers_instruments_samples_and_people():
    fact = make_fact("Ravi ran 48 samples on the gas chromatograph at 250 °C; core B failed", "s", "sentence", "",
                     PEOPLE)
    assert fact.numbers == ["48 samples", "250 °C"]
    assert fact.instruments == ["gas chromatograph"]
    assert "48 samples" in fact.samples and "core B" in fact.samples
    assert fact.people == ["Ravi Shah"]
