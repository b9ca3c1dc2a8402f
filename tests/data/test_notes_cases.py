"""Notes written for the tests only (tests/data/notes_cases/), in the sample folder's layouts but by other
labs with other wording: the reader must not be tuned to the shipped samples. Each folder has a
`<folder>.truth.json` in the shape of labtune/samples/labnotes-messy-truth.json."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest

from labtune.data.notes.parse import read_notes

CASES = Path(__file__).resolve().parent / "notes_cases"
FOLDERS = sorted(p.name for p in CASES.iterdir() if p.is_dir())
ROLE_KEYS = {"presenter": "Presenter", "recorder": "Recorder", "topic": "Topic", "chair": "Chair"}


def same(found: str | None, expected: str | None) -> bool:
    def norm(text):
        return re.sub(r"^(?:the|a|an)\s+", "", " ".join((text or "").casefold().split())).strip(" .")
    return norm(found) == norm(expected)


def cases():
    for name in FOLDERS:
        truth = json.loads((CASES / f"{name}.truth.json").read_text(encoding="utf-8"))
        for meeting in truth["meetings"]:
            yield pytest.param(name, meeting, id=f"{name}/{meeting['file']}@{meeting['date']}")


@pytest.fixture(scope="module")
def folders():
    return {name: read_notes(CASES / name) for name in FOLDERS}


@pytest.mark.parametrize("name", FOLDERS)
def test_each_folder_gives_exactly_its_meetings(folders, name):
    truth = json.loads((CASES / f"{name}.truth.json").read_text(encoding="utf-8"))
    found = sorted((str(n.path.relative_to(CASES / name)), n.date.isoformat()) for n in folders[name].notes)
    assert found == sorted((m["file"], m["date"]) for m in truth["meetings"])
    assert [str(p.relative_to(CASES / name)) for p, _ in folders[name].skipped] == [s["file"] for s in truth["skipped"]]


@pytest.mark.parametrize("name, truth", list(cases()))
def test_roles_topic_and_actions_match_the_truth(folders, name, truth):
    notes = [n for n in folders[name].notes if n.path == CASES / name / truth["file"]
             and n.date == date.fromisoformat(truth["date"])]
    assert len(notes) == 1
    note = notes[0]
    for role, key in ROLE_KEYS.items():
        assert same(note.fields.get(key), truth.get(role)), (key, note.fields.get(key), note.field_sources.get(key))
    for action in truth["actions"]:
        facts = [f for f in note.facts if action["task"].casefold() in f.text.casefold()]
        assert len(facts) == 1, (action["task"], [f.text for f in note.facts])
        assert (facts[0].kind, facts[0].owner) == ("action", action["owner"]), facts[0]
        assert same(facts[0].deadline, action["deadline"]), facts[0]
