"""Chunks: one per meeting; long meetings in overlapping parts that keep the header; names the model sees."""

from __future__ import annotations

from labtune.data.notes.parse import read_notes
from labtune.retrieval.chunks import chunk_notes
from retrieval_helpers import long_meeting


def test_a_short_meeting_is_one_chunk_named_by_its_file(lab_notes):
    chunks = chunk_notes(read_notes(lab_notes).notes, lab_notes)
    assert len(chunks) == 13
    april = next(c for c in chunks if c.date == "2023-04-14")
    assert april.source == "2023-04-14.md" and april.note == "2023-spring/2023-04-14.md"
    card, text = april.text.split("\n\n", 1)  # the reader's findings first, then the note as written
    assert card.startswith("The lab meeting on April 14, 2023 was about ") and "the presenter was " in card
    assert text == (lab_notes / "2023-spring" / "2023-04-14.md").read_text().strip()
    assert april.passage.source == april.source


def test_a_long_meeting_is_split_into_overlapping_parts_that_keep_the_header(tmp_path):
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "2023-07-07.md").write_text(long_meeting(items=120))
    chunks = chunk_notes(read_notes(folder).notes, folder)
    assert len(chunks) >= 3
    parts = len(chunks)
    assert [c.source for c in chunks] == [f"2023-07-07.md (part {i} of {parts})" for i in range(1, parts + 1)]
    for chunk in chunks:
        assert chunk.text.startswith("Lab meeting on 7/7/2023\nThe lab meeting on July 7, 2023 was about long "
                                     "sediment survey")
        assert len(chunk.text.split()) <= 360
    items = [[line for line in c.text.splitlines() if line[:1].isdigit()] for c in chunks]
    assert items[0][-1] in items[1]  # consecutive parts overlap
    every = {line for part in items for line in part}
    assert len(every) == 120  # nothing lost


def test_meetings_sharing_a_file_are_told_apart_by_date(tmp_path, monkeypatch):
    from datetime import date
    from pathlib import Path

    from labtune.data.notes.parse import Note
    from labtune.retrieval.chunks import meetings

    path = tmp_path / "spring.md"
    notes = [Note(path, "Meeting 1", date(2023, 3, 3), {}, "Meeting 1\nx"),
             Note(path, "Meeting 2", date(2023, 3, 10), {}, "Meeting 2\ny")]
    found = meetings(notes, Path(tmp_path))
    assert [m.source for m in found] == ["spring.md (2023-03-03)", "spring.md (2023-03-10)"]
    assert [m.key for m in found] == ["spring.md@1", "spring.md@2"]
