"""Small notes folders written per test, and the bundled sample notes copied where a test may edit them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from labtune.samples import LABNOTES


def write_note(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def lab_notes(tmp_path) -> Path:
    """A copy of the sample notes (13 meetings), free to change."""
    return Path(shutil.copytree(LABNOTES, tmp_path / "labnotes"))


@pytest.fixture
def two_year_notes(tmp_path) -> Path:
    folder = tmp_path / "notes"
    write_note(folder, "2022-04-14.md", "Lab meeting on 4/14/2022\n\nPresenter: Ada Byron\nTopic: Ice cores\n\n"
               "1. Drilling through the winter ice")
    write_note(folder, "2023-04-14.md", "Lab meeting on 4/14/2023\n\nPresenter: Hana Kowalczyk\n"
               "Topic: Nitrogen fixation\n\n1. Acetylene reduction assays")
    write_note(folder, "2023-05-05.md", "Lab meeting on 5/5/2023\n\nPresenter: Ingrid Mwangi\n"
               "Topic: Field safety and boat training\n\n1. Life jackets and radios on the lake")
    return folder
