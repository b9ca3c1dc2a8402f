"""Dates as a question spells them (4/14/2023, 2023-04-14, April 14th, "the Apr 14 meeting", 4/14), read
by the notes reader's own date finder so questions and notes agree on every spelling and on the
folder's day/month order. Unlike in notes, a bare "4/14" in a question is a date.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from labtune.data.notes.dates import DateMention
from labtune.data.notes.dates import find_dates as find_note_dates
from labtune.data.notes.phrasings import DATE_SPELLINGS

__all__ = ["DateMention", "find_dates", "spell_as_meetings"]


def find_dates(text: str, day_first: bool | None = None) -> list[DateMention]:
    """Every date in a question; `day_first`: the notes folder's numeric order (None: month-first)."""
    return find_note_dates(text, day_first=day_first, numeric_without_year=True)


def spell_as_meetings(text: str, meetings: Iterable[date], day_first: bool | None = None) -> str:
    """`text` with every date that names exactly one of `meetings` written the way the notes' cards and
    the trained answers write it ("March 12, 2024"): "Mar 12", "12/03/24" or "the 12th of March 2024"
    becomes the spelling a small model finds again in its prompt and its training. A date that names
    no meeting, or a yearless one that names several, is left as written."""
    days = set(meetings)
    for mention in reversed(find_dates(text, day_first)):  # from the end: earlier offsets stay valid
        named = [day for day in days if mention.matches(day)]
        if len(named) == 1:
            text = text[:mention.start] + DATE_SPELLINGS["long"](named[0]) + text[mention.end:]
    return text
