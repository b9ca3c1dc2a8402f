import pytest

from labtune.data.notes.facts import make_fact
from labtune.data.notes.people import People
from labtune.data.notes.tasks import task_phrase, third_person

PEOPLE = People(["Kenji Marchetti", "Farid Engström", "Tobias Okafor", "Siobhan Takahashi"])


@pytest.mark.parametrize("line, kind, task", [
    ("Kenji books the gas chromatograph for the week of 6 May, by April 30", "action",
     "book the gas chromatograph for the week of 6 May"),
    ("Farid will order a second batch of optode foils before the next meeting", "item",
     "order a second batch of optode foils"),
    ("Farid to order the spare solenoid valve by 2 February", "item", "order the spare solenoid valve"),
    ("Kenji: will ask the geology department for a discount.", "action", "ask the geology department for a discount"),
    ("Update the sample inventory sheet (owner: Tobias, due 3 May)", "action", "update the sample inventory sheet"),
    ("@siobhan re-run the failed CO2 standards before the next meeting", "action", "re-run the failed CO2 standards"),
    ("Farid is responsible for the greenhouse rota until the end of March", "item",
     "be responsible for the greenhouse rota until the end of March"),
])
def test_an_action_items_task_is_what_who_will_completes(line, kind, task):
    assert task_phrase(make_fact(line, line, kind, "Actions" if kind == "action" else "", PEOPLE)) == task


@pytest.mark.parametrize("line", [
    "Everyone: sign up for a training slot",  # no one person to ask for
    "Kenji will swap it.",  # "swap" is no verb the reader knows to open a task
    "The TOC analyzer needs a new catalyst tube before the next batch",  # no owner
])
def test_no_task_question_where_it_cannot_be_asked(line):
    assert task_phrase(make_fact(line, line, "action", "Actions", PEOPLE)) is None


@pytest.mark.parametrize("base, third", [("book the GC", "books the GC"), ("rerun it", "reruns it"),
                                         ("redo the blots", "redoes the blots"), ("fix it", "fixes it"),
                                         ("be responsible for X", "is responsible for X"),
                                         ("inventory the bottles", "inventories the bottles")])
def test_third_person(base, third):
    assert third_person(base) == third
