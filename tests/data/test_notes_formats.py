"""Every format the notes reader takes goes through one table: a file its library cannot read is skipped
with the format named, and the rest of the folder is read."""

from __future__ import annotations

from datetime import date

import pytest

from labtune.data.notes.folder import DOCUMENTS, TEXT_FORMATS, read_notes


@pytest.mark.parametrize("suffix", sorted({*TEXT_FORMATS, *DOCUMENTS}))
def test_a_file_its_reader_fails_on_is_skipped_with_its_format_named_and_the_folder_read(tmp_path, monkeypatch, suffix):
    table = TEXT_FORMATS if suffix in TEXT_FORMATS else DOCUMENTS
    kind = table[suffix][1]

    def fails(*_):
        raise KeyError("a field the library expected")

    monkeypatch.setitem(table, suffix, (fails, kind))
    (tmp_path / f"odd{suffix}").write_text("Presenter: Ana Lima\n")
    (tmp_path / "2024-01-16.md").write_text("# Lab meeting 2024-01-16\n\nPresenter: Ana Lima\nTopic: soil cores\n")
    read = read_notes(tmp_path)
    assert [note.date for note in read.notes] == [date(2024, 1, 16)]
    assert [(path.name, why) for path, why in read.skipped] == [(f"odd{suffix}", f"not {kind} that can be read (KeyError)")]


def test_a_table_with_no_meetings_in_it_gives_its_own_reason(tmp_path):
    (tmp_path / "loggers.csv").write_text("time,temperature\n2024-01-16 10:00,4.5\n2024-01-16 11:00,4.9\n")
    (tmp_path / "2024-01-16.md").write_text("# Lab meeting 2024-01-16\n\nPresenter: Ana Lima\n")
    assert [(path.name, why) for path, why in read_notes(tmp_path).skipped] == [
        ("loggers.csv", "a table that holds no meetings (no column names a presenter, note taker or topic)")]
