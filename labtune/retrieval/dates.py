"""Dates as a question spells them (4/14/2023, 2023-04-14, April 14th, "the Apr 14 meeting", 4/14), read
by the notes reader's own date finder so questions and notes agree on every spelling and on the
folder's day/month order. Unlike in notes, a bare "4/14" in a question is a date.
"""

from __future__ import annotations

from labtune.data.notes.dates import DateMention
from labtune.data.notes.dates import find_dates as find_note_dates

__all__ = ["DateMention", "find_dates"]


def find_dates(text: str, day_first: bool | None = None) -> list[DateMention]:
    """Every date in a question; `day_first`: the notes folder's numeric order (None: month-first)."""
    return find_note_dates(text, day_first=day_first, numeric_without_year=True)
