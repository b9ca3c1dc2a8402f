"""An agenda of several short talks, each led by a time and a speaker: its speakers are the presenters,
its talks' titles the topic, when nothing names a presenter (labtune/data/notes/agendas.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from labtune.data.notes.parse import parse_note

TWO_TALKS = {
    "dash and colon": "10:00 – Ana Lima: flume sediment transport\n10:20 – Bo Chen: DNA extraction kit comparison\n",
    "time range": "10:00-10:20 Ana Lima – flume sediment transport\n10:20-10:40 Bo Chen – DNA extraction kit comparison\n",
    "list": "## Agenda\n- 10:00 – Ana Lima: flume sediment transport\n- 10:20 – Bo Chen: DNA extraction kit comparison\n",
    "table": "| Time | Speaker | Title |\n|---|---|---|\n| 10:00 | Ana Lima | flume sediment transport |\n"
             "| 10:20 | Bo Chen | DNA extraction kit comparison |\n",
}


def parse(body: str):
    return parse_note(Path("note.md"), f"# Lab meeting 2024-05-14\n\n{body}")


@pytest.mark.parametrize("body", TWO_TALKS.values(), ids=TWO_TALKS.keys())
def test_two_timed_talks_give_both_presenters_and_the_titles_as_topic(body):
    note = parse(body)
    assert note.fields == {"Presenter": "Ana Lima and Bo Chen",
                           "Topic": "flume sediment transport; DNA extraction kit comparison"}
    assert note.field_sources == {"Presenter": "agenda", "Topic": "agenda"}


def test_three_talks_are_listed_in_order_as_a_label_lists_them():
    note = parse("Agenda\n10:00 – Ana Lima: soil fungi update\n10:20 – Bo Tran: pollen counts\n"
                 "10:40-11:00 Cy Dahl: charcoal budget\n")
    assert note.fields == {"Presenter": "Ana Lima, Bo Tran and Cy Dahl",
                           "Topic": "soil fungi update; pollen counts; charcoal budget"}
    assert [f.text for f in note.facts] == ["Ana Lima: soil fungi update", "Bo Tran: pollen counts",
                                            "Cy Dahl: charcoal budget"]


def test_coffee_round_table_and_lab_business_are_no_talks():
    note = parse("## Agenda\n- 09:45 – coffee\n- 10:00 – Ana Lima: flume sediment transport\n- 10:20 – Round table\n"
                 "- 10:40 – Bo Chen: DNA extraction kit comparison\n- 11:00 – lab business\n- 11:15 Coffee Break\n")
    assert note.fields == {"Presenter": "Ana Lima and Bo Chen",
                           "Topic": "flume sediment transport; DNA extraction kit comparison"}


def test_a_presenter_label_wins_over_the_agenda():
    agenda = TWO_TALKS["dash and colon"]
    assert parse(f"Presenter: Cy Dahl\n\n{agenda}").fields == {"Presenter": "Cy Dahl"}
    assert parse(f"Notes: Cy Dahl\n\n{agenda}").fields == {"Recorder": "Cy Dahl", "Presenter": "Ana Lima and Bo Chen",
                                                           "Topic": "flume sediment transport; "
                                                                    "DNA extraction kit comparison"}


def test_a_single_timed_talk_is_unchanged_unless_the_agenda_has_other_slots():
    alone = parse("10:00 – Ana Lima: flume sediment transport\n")
    assert alone.fields == {} and alone.items == ["Ana Lima: flume sediment transport"]
    with_coffee = parse("10:00 – Ana Lima: flume sediment transport\n10:40 – coffee\n")
    assert with_coffee.fields == {"Presenter": "Ana Lima", "Topic": "flume sediment transport"}


def test_a_joint_talk_names_both_speakers_and_next_weeks_agenda_names_none():
    note = parse("10:00 – Ana Lima and Bo Chen: flume sediment transport\n10:20 – Cy Dahl: charcoal budget\n")
    assert note.fields["Presenter"] == "Ana Lima, Bo Chen and Cy Dahl"
    assert parse("Presenter: Cy Dahl\n\n## Agenda for next week\n10:00 – Ana Lima: flume\n10:20 – Bo Chen: DNA kits\n"
                 ).fields == {"Presenter": "Cy Dahl"}
    assert parse("## Agenda for next week\n10:00 – Ana Lima: flume\n10:20 – Bo Chen: DNA kits\n").fields == {}
