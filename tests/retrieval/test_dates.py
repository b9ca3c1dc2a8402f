"""Dates as questions spell them, and which meeting dates they match."""

from __future__ import annotations

from datetime import date

import pytest

from labtune.retrieval.dates import find_dates


@pytest.mark.parametrize("text, year, month, day", [
    ("Who is the presenter of the 4/14/2023 lab meeting?", 2023, 4, 14),
    ("Who spoke at the 2023-04-14 lab meeting?", 2023, 4, 14),
    ("notes of 2023/4/14", 2023, 4, 14),
    ("Who took the notes at the 4/14/23 meeting?", 2023, 4, 14),
    ("What was discussed on April 14th, 2023?", 2023, 4, 14),
    ("What was discussed on April 14, 2023?", 2023, 4, 14),
    ("the meeting of 14 April 2023", 2023, 4, 14),
    ("Sept. 5, 2023", 2023, 9, 5),
    ("What happened at the Apr 14 meeting?", None, 4, 14),
    ("and on Apr. 14?", None, 4, 14),
    ("on April the 14th", None, 4, 14),
    ("the 14th of April", None, 4, 14),
    ("the 4/14 meeting", None, 4, 14),
    ("Feb 29", None, 2, 29),
    ("the 20230414 notes", 2023, 4, 14),  # compact, as file names write it
])
def test_a_date_is_found_in_each_spelling(text, year, month, day):
    (mention,) = find_dates(text)
    assert (mention.year, mention.month, mention.day) == (year, month, day)
    assert text[mention.start:mention.end] == mention.text


@pytest.mark.parametrize("text", ["version 1.2.3", "May 2023 was busy", "in 2023 May", "Feb 30", "13/45/2023",
                                  "room 214", "call 555-1234"])
def test_things_that_are_not_a_day_are_not_dates(text):
    assert find_dates(text) == []


def test_several_dates_come_in_reading_order_without_overlap():
    mentions = find_dates("between March 31, 2023 and 2023-04-14, and also May 5")
    assert [(m.year, m.month, m.day) for m in mentions] == [(2023, 3, 31), (2023, 4, 14), (None, 5, 5)]


def test_a_yearless_date_matches_that_day_in_any_year():
    (yearless,) = find_dates("the Apr 14 meeting")
    (dated,) = find_dates("4/14/2023")
    assert yearless.matches(date(2022, 4, 14)) and yearless.matches(date(2023, 4, 14))
    assert dated.matches(date(2023, 4, 14)) and not dated.matches(date(2022, 4, 14))
    assert not yearless.matches(date(2023, 4, 15))


def test_a_day_first_folder_reads_questions_day_first():
    (mention,) = find_dates("Who presented on 02/04/2024?", day_first=True)
    assert (mention.month, mention.day) == (4, 2)
    (mention,) = find_dates("Who presented on 02/04/2024?")
    assert (mention.month, mention.day) == (2, 4)


MEETINGS = [date(2024, 3, 12), date(2024, 4, 2), date(2023, 4, 2)]


@pytest.mark.parametrize("asked, spelled", [
    ("Who was the scribe at the lab meeting of Mar 12?", "Who was the scribe at the lab meeting of March 12, 2024?"),
    ("Who recorded the 3/12/24 meeting?", "Who recorded the March 12, 2024 meeting?"),
    ("What was the 12th of March 2024 about?", "What was March 12, 2024 about?"),  # "the" is part of that date
    ("Who presented on 2024-04-02 and on 2023-04-02?", "Who presented on April 2, 2024 and on April 2, 2023?"),
    ("Who presented on Apr 2?", "Who presented on Apr 2?"),  # two meetings on that day: left as written
    ("Who presented on March 13, 2024?", "Who presented on March 13, 2024?"),  # no meeting then
    ("Who presented at the March 12, 2024 meeting?", "Who presented at the March 12, 2024 meeting?"),
])
def test_a_date_naming_one_meeting_is_spelled_as_the_cards_spell_it(asked, spelled):
    from labtune.retrieval.dates import spell_as_meetings

    assert spell_as_meetings(asked, MEETINGS) == spelled


def test_a_day_first_folder_reads_numeric_dates_day_first_when_spelling_them():
    from labtune.retrieval.dates import spell_as_meetings

    assert spell_as_meetings("Who took the minutes on 02/04/2024?", MEETINGS, day_first=True) == \
        "Who took the minutes on April 2, 2024?"
    assert spell_as_meetings("Who took the minutes on 02/04/2024?", MEETINGS) == \
        "Who took the minutes on 02/04/2024?"  # month first that is February 4: no meeting
