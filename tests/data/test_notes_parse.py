"""The note parser on the layouts real labs write: it must not depend on our sample notes' style."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from labtune.data.notes.parse import find_date, parse_note, read_notes
from labtune.errors import LabtuneError
from labtune.samples import LABNOTES


def parse(text: str, name: str = "note.md"):
    return parse_note(Path(name), text)


def test_plain_key_value_note_gives_title_date_fields_outline_and_questions():
    note = parse("Lab meeting on 4/14/2023\n\nPresenter: Ada Quill\nRecorder: Bo Tran\nTopic: Soil fungi\n\n"
                 "1. Sampling design\n2. First results\n\nQuestions:\n- Why so few spores?\n")
    assert note.title == "Lab meeting on 4/14/2023"
    assert note.date == date(2023, 4, 14)
    assert note.fields == {"Presenter": "Ada Quill", "Recorder": "Bo Tran", "Topic": "Soil fungi"}
    assert note.items == ["Sampling design", "First results"]
    assert note.questions == ["Why so few spores?"]


@pytest.mark.parametrize("line", ["**Presenter**: Ada Quill", "**Presenter:** Ada Quill", "Presenter - Ada Quill",
                                  "presenter: Ada Quill", "- Presenter: Ada Quill", "__Speaker__: Ada Quill",
                                  "Presented by: Ada Quill", "Presenter – Ada Quill", "Referent: Ada Quill",
                                  "Ponente: Ada Quill", "Intervenant : Ada Quill", "Discussant: Ada Quill"])
def test_field_spellings_all_map_to_the_canonical_key(line):
    note = parse(f"# Meeting 2023-04-14\n{line}\n")
    assert note.fields == {"Presenter": "Ada Quill"}


def test_a_question_mark_ends_a_role_label_but_not_a_question_of_the_meeting():
    note = parse("# Meeting 2023-04-14\nWho presented? Ada Quill\nWho took notes? Bo Tran\n\n"
                 "Why was the deep site low? The probe drifted overnight.\n")
    assert note.fields == {"Presenter": "Ada Quill", "Recorder": "Bo Tran"}
    assert [f.text for f in note.facts] == ["Why was the deep site low?", "The probe drifted overnight."]


def test_a_role_label_whose_line_goes_on_keeps_the_name_and_reads_the_rest():
    note = parse("# Meeting 2023-04-14\nPresenting today: Ada Quill. Notes by Bo Tran.\n")
    assert note.fields["Presenter"] == "Ada Quill" and note.fields["Recorder"] == "Bo Tran"
    assert parse("# Meeting 2023-04-14\nPresenter: Dr. Ada Quill\n").fields["Presenter"] == "Ada Quill"


def test_a_called_off_meeting_has_a_status_and_no_topic():
    note = parse("### 2026-01-27 (cancelled — AGU travel)\n")
    assert note.fields == {"Status": "cancelled – AGU travel"}


def test_a_spreadsheet_schedule_is_read_row_by_row_and_a_data_export_is_skipped(tmp_path):
    (tmp_path / "schedule.csv").write_text("Date;Speaker;Minutes;Title\n2026-02-17;Aiko Mori;Sven Berg;snow\n"
                                           "2026-02-24;Sven Berg;Aiko Mori;ice cores\n", encoding="utf-8")
    (tmp_path / "logger.csv").write_text("date,temperature\n2026-02-17,4.2\n", encoding="utf-8")
    (tmp_path / "open-quote.csv").write_text('date,presenter\n2026-02-17,"' + "x" * 200_000 + "\n", encoding="utf-8")
    folder = read_notes(tmp_path)
    assert [(n.date.isoformat(), n.fields["Presenter"], n.fields["Recorder"], n.fields["Topic"]) for n in folder.notes] \
        == [("2026-02-17", "Aiko Mori", "Sven Berg", "snow"), ("2026-02-24", "Sven Berg", "Aiko Mori", "ice cores")]
    assert [(p.name, why) for p, why in folder.skipped] == [
        ("logger.csv", "a table that holds no meetings (no column names a presenter, note taker or topic)"),
        ("open-quote.csv", "a table that holds no meetings (not CSV that can be read: field larger than field limit "
                           "(131072))")]


def test_a_chat_log_is_read_message_by_message_in_the_third_person():
    note = parse("#lab-meeting 2025-05-20\n[10:02] Yuki Sato: I'm presenting the eDNA pilot today\n"
                 "[10:03] Hannah Becker: I'll take notes\n[10:15] Ivo Petrov: how many replicates?\n")
    assert note.fields == {"Presenter": "Yuki Sato", "Recorder": "Hannah Becker", "Topic": "the eDNA pilot"}
    assert [f.text for f in note.facts][-1] == "how many replicates?"


def test_a_note_in_a_folder_named_for_its_day_is_dated_by_the_path(tmp_path):
    (tmp_path / "2025" / "05" / "06").mkdir(parents=True)
    (tmp_path / "2025" / "05" / "06" / "notes.md").write_text("Speaker: [[Ana Lima]]\n", encoding="utf-8")
    (note,) = read_notes(tmp_path).notes
    assert (note.date, note.fields) == (date(2025, 5, 6), {"Presenter": "Ana Lima"})


def test_a_bullet_after_a_name_is_a_task_only_when_it_reads_as_one():
    note = parse("# Meeting 2023-04-14\n- Wen: 40% of particles were fibres.\n- Wen: send the FTIR files\n")
    assert [(f.kind, f.owner) for f in note.facts] == [("number", None), ("action", "Wen")]


def test_a_table_of_names_and_roles_gives_the_roles():
    note = parse("# Meeting 2025-11-11\n| Name | Role |\n|---|---|\n| Ana Lima | presenter |\n"
                 "| Bo Tran | note taker |\n| Cy Dahl | chair |\n| Di Ek | guest |\n")
    assert note.fields == {"Presenter": "Ana Lima", "Recorder": "Bo Tran", "Chair": "Cy Dahl"}
    assert [f.text for f in note.facts] == ["Di Ek: guest"]


def test_an_agendas_timed_lines_are_items_and_a_chat_needs_chat_time_stamps():
    note = parse("# Meeting 2025-11-04\nAgenda\n10:00 – Ana Lima: soil fungi update\n"
                 "10:20 – Bo Tran: pollen counts\n10:40-11:00 Cy Dahl: charcoal budget\n")
    assert [f.text for f in note.facts] == ["Ana Lima: soil fungi update", "Bo Tran: pollen counts",
                                            "Cy Dahl: charcoal budget"]


@pytest.mark.parametrize("value, topic", [("Ahmed Karimi, PhD candidate", None),
                                          ("Prof. Ahmed Karimi, University of Lisbon", None),
                                          ("Ahmed Karimi – visiting student", None),
                                          ("Ahmed Karimi – soil imaging", "soil imaging"),
                                          ("Ahmed Karimi on research data management", "research data management"),
                                          ("@ahmed.karimi", None)])
def test_who_the_speaker_is_is_no_topic_and_a_handle_is_a_name(value, topic):
    note = parse(f"# Meeting 2025-12-02\nSpeaker: {value}\n")
    assert (note.fields["Presenter"], note.fields.get("Topic")) == ("Ahmed Karimi", topic)


def test_crlf_line_endings_parse_like_lf():
    lf = "Lab meeting on 3/24/2023\n\nPresenter: Ada Quill\nRecorder: Bo Tran\n\n1. Aim one\n2. Aim two\n"
    crlf = parse(lf.replace("\n", "\r\n"))
    assert crlf.fields == parse(lf).fields and crlf.items == ["Aim one", "Aim two"]
    assert "\r" not in crlf.text


def test_empty_fields_are_reported_not_kept():
    note = parse("Lab meeting 5/5/2023\nPresenter: Ada Quill\nRecorder:\nGuests:   \n")
    assert note.fields == {"Presenter": "Ada Quill"}
    assert note.empty_fields == ["Recorder", "Guests"]


def test_date_comes_from_the_file_name_when_the_text_has_none():
    note = parse("# Diatom counts\nPresenter: Ada Quill\n", name="2023-03-10-diatoms.md")
    assert note.title == "Diatom counts" and note.date == date(2023, 3, 10)


def test_note_without_any_date_keeps_its_title():
    note = parse("Sediment cores\nPresenter: Ada Quill\n", name="cores.txt")
    assert note.date is None and note.title == "Sediment cores"


@pytest.mark.parametrize("text, expected", [
    ("Lab meeting on 4/14/2023", date(2023, 4, 14)), ("April 14, 2023", date(2023, 4, 14)),
    ("14 April 2023", date(2023, 4, 14)), ("2023-04-14", date(2023, 4, 14)), ("Sept. 5, 2022", date(2022, 9, 5)),
    ("meeting 4/14/23", date(2023, 4, 14)), ("no date here", None), ("13/45/2023", None),
])
def test_find_date_reads_the_common_spellings(text, expected):
    assert find_date(text) == expected


def test_action_items_and_numbered_steps_with_colons_are_not_fields():
    note = parse("Lab meeting on 6/9/2023\nPresenter: Ada Quill\n\n1. Step one: book the boat\n\n"
                 "## Action items\n- [ ] Bo: order filters\n- Ada: share the slides\nTODO: clean the freezer\n")
    assert note.fields == {"Presenter": "Ada Quill"}
    assert note.items == ["Step one: book the boat"]
    assert note.actions == ["Bo: order filters", "Ada: share the slides", "clean the freezer"]
    assert note.sections["Action items"] == note.actions


def test_read_notes_is_recursive_sorted_by_date_and_reports_undecodable_files(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.md").write_text("Lab meeting on 5/1/2023\nPresenter: B\n", encoding="utf-8")
    (tmp_path / "a.txt").write_text("Lab meeting on 4/1/2023\nPresenter: A\n", encoding="utf-8")
    (tmp_path / "latin1.md").write_bytes("Réunion 3/1/2023\nPresenter: Zoé\n".encode("latin-1"))
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    folder = read_notes(tmp_path)
    assert [n.fields["Presenter"] for n in folder.notes] == ["A", "B"]
    assert folder.undecodable == [tmp_path / "latin1.md"]


def test_read_notes_refuses_a_missing_folder(tmp_path):
    with pytest.raises(LabtuneError, match="not a directory"):
        read_notes(tmp_path / "missing")


def test_sample_notes_all_have_date_presenter_recorder_and_topic():
    folder = read_notes(LABNOTES)
    assert len(folder.notes) >= 12
    assert any(n.date == date(2023, 4, 14) for n in folder.notes)
    for note in folder.notes:
        assert note.date is not None, note.path
        assert {"Presenter", "Recorder", "Topic"} <= set(note.fields), note.path
