"""Dates as a question spells them: 4/14/2023, 4/14/23, 2023-04-14, April 14th, Apr. 14, 2023,
14 April 2023, "the Apr 14 meeting", 4/14. A date written without a year has `year=None`.

The interface is the notes reader's (`labtune.data.notes.dates.find_dates`); this module covers what
retrieval needs until that one is in place, and then only forwards to it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september",
          "october", "november", "december"]
# "Sept" is the one four-letter abbreviation in common use; the rest are three letters or the whole name.
_MONTH = r"(?P<month>" + "|".join(sorted({m for m in MONTHS} | {m[:3] for m in MONTHS} | {"sept"},
                                         key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>\d{4})"
# Longest spellings first, so "April 14, 2023" is one mention and not "April 14" plus a stray year.
_PATTERNS = [
    re.compile(r"(?<![\d/.-])(?P<year>\d{4})[-/.](?P<month>\d{1,2})[-/.](?P<day>\d{1,2})(?![\d/.-]?\d)"),
    re.compile(r"(?<![\d/.-])(?P<month>\d{1,2})/(?P<day>\d{1,2})/(?P<year>\d{4}|\d{2})(?![\d/])"),
    re.compile(rf"\b{_MONTH}\s+(?:the\s+)?{_DAY}\b(?![/.-]\d)(?:,?\s+{_YEAR}\b)?", re.I),
    re.compile(rf"(?<![\d/.-])\b(?:the\s+)?{_DAY}\s+(?:of\s+)?{_MONTH}\b(?:,?\s+{_YEAR}\b)?", re.I),
    # A bare month/day ("the 4/14 meeting"), but not a fraction inside a longer number.
    re.compile(r"(?<![\d/.-])(?P<month>\d{1,2})/(?P<day>\d{1,2})(?![\d/])"),
]


@dataclass(frozen=True)
class DateMention:
    start: int
    end: int
    text: str
    year: int | None  # None: written without a year
    month: int
    day: int

    def matches(self, day: date) -> bool:
        """Same day; a yearless mention matches that month and day in any year."""
        return (self.month, self.day) == (day.month, day.day) and self.year in (None, day.year)


def _month_number(text: str) -> int:
    return int(text) if text.isdigit() else [m[:3] for m in MONTHS].index(text[:3].lower()) + 1


def _valid(year: int | None, month: int, day: int) -> bool:
    try:
        date(year or 2000, month, day)  # 2000 is a leap year: Feb 29 without a year is a real date
    except ValueError:
        return False
    return True


def find_dates(text: str) -> list[DateMention]:
    """Every date mentioned in `text`, in reading order, none overlapping another."""
    found: list[DateMention] = []
    taken: list[tuple[int, int]] = []
    for pattern in _PATTERNS:
        for match in pattern.finditer(text):
            start, end = match.span()
            if any(start < b and a < end for a, b in taken):
                continue
            year = match.groupdict().get("year")
            year = None if year is None else int(year) + (2000 if len(year) == 2 else 0)
            month, day = _month_number(match["month"]), int(match["day"])
            if not _valid(year, month, day):
                continue
            taken.append((start, end))
            found.append(DateMention(start, end, match[0], year, month, day))
    return sorted(found, key=lambda m: m.start)
