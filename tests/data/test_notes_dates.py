"""find_dates: every common spelling, with or without a year, and the day/month order decided, not guessed."""

from __future__ import annotations

from datetime import date

import pytest

from labtune.data.notes.dates import day_first_from, find_date, find_dates, order_evidence, path_year


@pytest.mark.parametrize("text, parts", [
    ("on 4/14/2023", (2023, 4, 14)), ("on 14/4/2023", (2023, 4, 14)), ("2023-04-14", (2023, 4, 14)),
    ("2023/04/14", (2023, 4, 14)), ("20230414", (2023, 4, 14)), ("14.04.2023", (2023, 4, 14)),
    ("April 14th", (None, 4, 14)), ("April 14, 2023", (2023, 4, 14)), ("14 April 2023", (2023, 4, 14)),
    ("the 2nd of June", (None, 6, 2)), ("Apr 14", (None, 4, 14)), ("14 Apr '23", (2023, 4, 14)),
    ("4/14/23", (2023, 4, 14)), ("Sept. 5, 2022", (2022, 9, 5)), ("mtg 13feb", (None, 2, 13)),
    ("Tuesday the 9th of April", (None, 4, 9)), ("1st March 2024", (2024, 3, 1)), ("Mar 3rd, 2024", (2024, 3, 3)),
    # a range of days: its first day, with the year written after the last
    ("retreat March 20-21, 2025", (2025, 3, 20)), ("retreat 20–21 Mar 2025", (2025, 3, 20)),
    ("Mar 20 - Mar 21, 2025", (2025, 3, 20)), ("3 to 5 June 2024", (2024, 6, 3)),
    # file names, where an underscore separates words
    ("LM_21Oct2025", (2025, 10, 21)), ("LM_Oct21_2025_final", (2025, 10, 21)), ("notes_21_Oct_2025", (2025, 10, 21)),
])
def test_find_dates_reads_each_spelling(text, parts):
    mentions = find_dates(text)
    assert len(mentions) == 1, mentions
    assert (mentions[0].year, mentions[0].month, mentions[0].day) == parts
    assert text[mentions[0].start:mentions[0].end].strip() == mentions[0].text


@pytest.mark.parametrize("text", ["no date here", "13/45/2023", "3/5 trays", "CUE 0.25 to 0.45", "March 2024",
                                  "version 1.2.3", "Room 214", "Feb 30, 2024"])
def test_find_dates_finds_none_where_there_is_none(text):
    assert find_dates(text) == []


def test_numeric_order_is_month_first_unless_told_or_impossible():
    (us,) = find_dates("02/04/2024")
    assert (us.month, us.day, us.ambiguous) == (2, 4, True)
    (uk,) = find_dates("02/04/2024", day_first=True)
    assert (uk.month, uk.day) == (4, 2)
    (certain,) = find_dates("13/05/2024", day_first=False)  # no month 13, whatever the folder says
    assert (certain.month, certain.day, certain.ambiguous) == (5, 13, False)


def test_weekday_beside_a_date_settles_its_order():
    assert find_date("Tue 02/04/2024") == date(2024, 4, 2)
    assert find_date("Sunday, 02/04/2024") == date(2024, 2, 4)


def test_order_evidence_counts_only_certain_dates():
    evidence = order_evidence("13/05/2024, 20/02/24, 02/04/2024, 4/14/2023")
    assert evidence == {"dmy": 2, "mdy": 1}
    assert day_first_from(evidence) is True
    assert day_first_from(order_evidence("4/14/2023 and 4/28/2023")) is False
    assert day_first_from(order_evidence("02/04/2024")) is None


def test_numeric_dates_without_a_year_only_when_asked():
    assert find_dates("the 4/14 meeting") == []
    (mention,) = find_dates("the 4/14 meeting", numeric_without_year=True)
    assert (mention.year, mention.month, mention.day, mention.date) == (None, 4, 14, None)
    assert mention.on_year(2023) == date(2023, 4, 14)


def test_find_date_keeps_its_old_contract():
    assert find_date("Lab meeting on 4/14/2023 and 4/28/2023") == date(2023, 4, 14)
    assert find_date("April 14") is None  # no year: not a date on its own


@pytest.mark.parametrize("parts, year", [(["2024", "0409"], 2024), (["2023-spring", "notes"], 2023),
                                         (["fieldwork_2022", "a"], 2022), (["misc", "notes"], None)])
def test_path_year(parts, year):
    assert path_year(parts) == year
