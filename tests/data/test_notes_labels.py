"""Role and topic labels are recognised by their head word and its forms, not looked up in a list."""

from __future__ import annotations

import pytest

from labtune.data.notes.labels import label_role, looks_like_name
from labtune.data.notes.people import People


@pytest.mark.parametrize("label, role", [
    ("Presenter", "Presenter"), ("PRESENTERS", "Presenter"), ("Presented by", "Presenter"), ("Presenting", "Presenter"),
    ("Speaker(s)", "Presenter"), ("Guest speaker", "Presenter"), ("Talk given by", "Presenter"), ("pres.", "Presenter"),
    ("spkr", "Presenter"), ("Name of presenter", "Presenter"), ("Speaker name", "Presenter"), ("Lecturer", "Presenter"),
    ("Recorder", "Recorder"), ("Recorded by", "Recorder"), ("Scribe", "Recorder"), ("Minutes taken by", "Recorder"),
    ("Note-taker", "Recorder"), ("Notetaker", "Recorder"), ("Minute keeper", "Recorder"), ("Notes by", "Recorder"),
    ("Secretary", "Recorder"), ("Written by", "Recorder"),
    ("Chair", "Chair"), ("Chaired by", "Chair"), ("Chairperson", "Chair"), ("Facilitator", "Chair"),
    ("Moderated by", "Chair"), ("Hosted by", "Chair"),
    ("Topic", "Topic"), ("Subject", "Topic"), ("Talk title", "Topic"), ("Title of talk", "Topic"),
    ("Agenda item", "Topic"), ("Theme", "Topic"), ("Discussion topic", "Topic"), ("re", "Topic"),
    ("Attendees", "Attendees"), ("In attendance", "Attendees"), ("Present", "Attendees"),
    ("Participants", "Attendees"), ("Apologies", "Apologies"), ("Absent", "Apologies"), ("Regrets", "Apologies"),
    ("Meeting date", "Date"), ("When", "Date"),
])
def test_labels_of_each_role_in_their_forms(label, role):
    assert label_role(label, "Ada Quill" if role != "Topic" else "Soil fungi under drought") == role


@pytest.mark.parametrize("label, value, role", [
    ("Talk", "Ada Quill", "Presenter"), ("Talk", "Soil fungi under drought", "Topic"),
    ("Presentation", "Kwame Mensah", "Presenter"), ("Presentation", "New growth chambers", "Topic"),
    ("Notes", "tobias", "Recorder"), ("Notes", "the freezer was defrosted", None),
    ("Minutes", "Lin Wu", "Recorder"), ("Minutes", "approved without changes", None),
])
def test_heads_that_name_a_person_or_a_subject_are_decided_by_the_value(label, value, role):
    assert label_role(label, value) == role


@pytest.mark.parametrize("label", ["Next presenter", "Topic for next week", "Previous speaker", "Next meeting",
                                   "Recorder battery", "Presentation slides", "Due date", "Location", "TODO",
                                   "Decision", "Maria", "Field day", "Deadline"])
def test_labels_about_other_things_or_other_meetings_name_no_role(label):
    assert label_role(label, "Ada Quill") is None


@pytest.mark.parametrize("value, expected", [
    ("Ada Quill", True), ("siobhan", True), ("Farid E.", True), ("Wanjiru, Kenji and Lin", True),
    ("Ada Quill (remote)", True), ("van der Berg", True), ("José Ruiz", True),
    ("Root exudates under drought", False), ("seed bank germination trial", False), ("see slides", False),
    ("will send the file", False), ("", False),
])
def test_looks_like_name(value, expected):
    assert looks_like_name(value) is expected


def test_people_expand_short_names_only_when_one_person_has_them():
    people = People(["Kenji Marchetti", "Lucía Nakamura", "Ana Lima", "Ana Souza"])
    assert people.expand("kenji") == "Kenji Marchetti"
    assert people.expand("Lucia") == "Lucía Nakamura"  # accents aside
    assert people.expand("Marchetti and lucía") == "Kenji Marchetti and Lucía Nakamura"
    assert people.expand("Ana") == "Ana"  # two Anas: left as written
    assert people.expand("bo") == "Bo"  # unknown: capitalised, not guessed
    assert people.find("Then @kenji and Ana Souza met Ana.") == ["Kenji Marchetti", "Ana Souza"]
