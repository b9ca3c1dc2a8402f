"""Dates as people write them: find every date mention in a text, with or without a year.

`find_dates` returns `DateMention`s (where, as written, year/month/day); numeric dates whose order is
ambiguous (02/04/2024) are read month-first unless the caller says the writer puts the day first: the
notes reader decides that from the folder's own unambiguous dates (`order_evidence`), a weekday written
next to the date, or a date in the file name. Written here rather than with `dateutil.parser`: dateutil
parses one date string it is handed (and guesses a missing year from today), while notes need every
date found inside running text, yearless ones kept yearless, and the day/month order decided per folder.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date

MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september",
          "october", "november", "december"]
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_MONTH = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?" \
         r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
_WEEKDAY = r"(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?\.?"
_ORD = r"(?:st|nd|rd|th)?"
# Word edges where an underscore counts as a space, as in file names ("LM_21Oct2025_final").
_START, _END = r"(?<![^\W_])", r"(?![^\W_])"
_YEAR = rf"(?:(?:,?[ \t_]*|-)(?P<year>(?:19|20)\d\d){_END}|[ \t]*['’](?P<year2>\d\d)\b)?"

# Named-month forms; the weekday in front is kept to check which reading of a numeric date is meant.
_NAMED = [
    # April 14th, 2024 / Apr 14 / Sept. 5, 2022
    re.compile(rf"{_START}(?P<month>{_MONTH})(?:[\s_]*|-)(?:the\s+)?(?P<day>\d{{1,2}}){_ORD}(?![:.]\d|%){_END}{_YEAR}",
               re.I),
    # 14 April 2024 / the 2nd of June / 9th of April / 13feb / 04-Jun-2024
    re.compile(rf"{_START}(?:the\s+)?(?P<day>\d{{1,2}}){_ORD}(?:[\s_]*|-)(?:of\s+)?(?P<month>{_MONTH})(?![a-z]){_YEAR}",
               re.I),
    # A range of days is its first day, with the year written after the last: March 20-21, 2025 / 20–21 March 2025
    re.compile(rf"{_START}(?P<month>{_MONTH})\s*(?P<day>\d{{1,2}}){_ORD}\s*(?:[-–—]|to)\s*(?:{_MONTH}\s*)?"
               rf"\d{{1,2}}{_ORD}(?![:.]\d|%)\b{_YEAR}", re.I),
    re.compile(rf"{_START}(?P<day>\d{{1,2}}){_ORD}\s*(?:[-–—]|to)\s*\d{{1,2}}{_ORD}\s*(?:of\s+)?"
               rf"(?P<month>{_MONTH})(?![a-z]){_YEAR}", re.I),
]
_ISO = re.compile(r"(?<![\d.])(?P<year>(?:19|20)\d\d)(?P<sep>[-/._])(?P<month>\d{1,2})(?P=sep)(?P<day>\d{1,2})(?![\d])")
_COMPACT = re.compile(r"(?<!\d)(?P<year>(?:19|20)\d\d)(?P<month>[01]\d)(?P<day>[0-3]\d)(?!\d)")
_NUMERIC = re.compile(r"(?<![\d./-])(?P<a>\d{1,2})(?P<sep>[/.-])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4}|\d{2})(?![\d])")
_NUMERIC_NO_YEAR = re.compile(r"(?<![\d./-])(?P<a>\d{1,2})(?P<sep>/)(?P<b>\d{1,2})(?![\d/])")
_WEEKDAY_BEFORE = re.compile(rf"\b(?P<weekday>{_WEEKDAY})[,\s]*(?:the\s+)?$", re.I)


@dataclass(frozen=True)
class DateMention:
    """One date in a text: `text[start:end]` as written; `year` is None when the text gave none."""

    start: int
    end: int
    text: str
    year: int | None
    month: int
    day: int
    order: str = "named"  # named | ymd | dmy | mdy: how the parts were read
    ambiguous: bool = False  # numeric with both parts <= 12: the order was decided, not read
    weekday: int | None = None  # a weekday written just before it (0 = Monday)

    @property
    def date(self) -> date | None:
        return self.on_year(self.year) if self.year is not None else None

    def matches(self, day: date) -> bool:
        """Same day; a yearless mention matches that month and day in any year."""
        return (self.month, self.day) == (day.month, day.day) and self.year in (None, day.year)

    def on_year(self, year: int) -> date | None:
        """The date in `year` (for yearless mentions), None when it does not exist (Feb 29)."""
        try:
            return date(year, self.month, self.day)
        except ValueError:
            return None


def month_number(name: str) -> int:
    return [m[:3] for m in MONTHS].index(name.strip(".")[:3].lower()) + 1


def _full_year(two_or_four: str) -> int:
    year = int(two_or_four)
    if len(two_or_four) == 2:
        year += 2000 if year < 70 else 1900
    return year


def _weekday_before(text: str, start: int) -> int | None:
    match = _WEEKDAY_BEFORE.search(text[max(0, start - 16):start])
    if not match:
        return None
    return [w[:3] for w in WEEKDAYS].index(match["weekday"][:3].lower())


def _valid(year: int | None, month: int, day: int) -> bool:
    try:
        date(year if year is not None else 2000, month, day)  # 2000: a leap year, so Feb 29 passes yearless
    except ValueError:
        return False
    return year is None or 1900 <= year <= 2100


def _numeric(text: str, match: re.Match, year: int | None, day_first: bool | None) -> DateMention | None:
    a, b = int(match["a"]), int(match["b"])
    weekday = _weekday_before(text, match.start())
    readings = [(order, m, d) for order, m, d in (("mdy", a, b), ("dmy", b, a)) if _valid(year, m, d)]
    if not readings:
        return None
    ambiguous = len(readings) == 2 and a != b
    if ambiguous:
        if weekday is not None and year is not None:  # "Tue 02/04/2024": only one reading is a Tuesday
            fitting = [r for r in readings if date(year, r[1], r[2]).weekday() == weekday]
            if len(fitting) == 1:
                readings, ambiguous = fitting, False
        if ambiguous:
            # Dots are the day-first convention (16.04.2024); otherwise the caller's evidence, else month-first.
            prefer_dmy = day_first if day_first is not None else match["sep"] == "."
            readings.sort(key=lambda r: r[0] != ("dmy" if prefer_dmy else "mdy"))
    order, month, day = readings[0]
    return DateMention(match.start(), match.end(), match[0], year, month, day, order, ambiguous, weekday)


def find_dates(text: str, day_first: bool | None = None, numeric_without_year: bool = False) -> list[DateMention]:
    """Every date in `text`, in order: 4/14/2023, 14/4/2023, 14.04.2023, 2023-04-14, 20230414, April 14th,
    14 April 2023, "the 2nd of June", "Apr 14", "13feb", two-digit years (4/14/23, Apr 14 '23).

    `day_first`: how to read a numeric date whose parts could both be months (None: month-first, except
    dotted dates). `numeric_without_year`: also read "4/14" (off by default: in notes "3/5 trays" is a count).
    """
    found: list[DateMention] = []
    for pattern in _NAMED:
        for m in pattern.finditer(text):
            year = int(m["year"]) if m["year"] else _full_year(m["year2"]) if m["year2"] else None
            month, day = month_number(m["month"]), int(m["day"])
            if _valid(year, month, day):
                found.append(DateMention(m.start(), m.end(), m[0].strip(), year, month, day, "named",
                                         weekday=_weekday_before(text, m.start())))
    for pattern in (_ISO, _COMPACT):
        for m in pattern.finditer(text):
            year, month, day = int(m["year"]), int(m["month"]), int(m["day"])
            if _valid(year, month, day):
                found.append(DateMention(m.start(), m.end(), m[0], year, month, day, "ymd",
                                         weekday=_weekday_before(text, m.start())))
    for m in _NUMERIC.finditer(text):
        mention = _numeric(text, m, _full_year(m["y"]), day_first)
        if mention:
            found.append(mention)
    if numeric_without_year:
        for m in _NUMERIC_NO_YEAR.finditer(text):
            mention = _numeric(text, m, None, day_first)
            if mention:
                found.append(mention)
    return _without_overlaps(found)


def _without_overlaps(found: list[DateMention]) -> list[DateMention]:
    """Where mentions overlap, the longer one wins ("14 April 2023" over its "April 20")."""
    kept: list[DateMention] = []
    for mention in sorted(found, key=lambda d: (d.start, -(d.end - d.start))):
        if kept and mention.start < kept[-1].end:
            if mention.end - mention.start > kept[-1].end - kept[-1].start:
                kept[-1] = mention
            continue
        kept.append(mention)
    return kept


def find_date(text: str, day_first: bool | None = None) -> date | None:
    """The first date with a year in `text` (None when there is none)."""
    return next((m.date for m in find_dates(text, day_first) if m.date), None)


def order_evidence(text: str) -> Counter:
    """Numeric dates whose order is certain: {"dmy": n, "mdy": n} (13/05/2024 is day-first: no month 13).

    Dotted dates (16.04.2024) are left out: they are day-first by their own convention, and a writer who
    dots says nothing about how another writes slashes."""
    counts: Counter = Counter()
    for m in _NUMERIC.finditer(text):
        if m["sep"] == ".":
            continue
        a, b = int(m["a"]), int(m["b"])
        if a > 12 >= b >= 1 and a <= 31:
            counts["dmy"] += 1
        elif b > 12 >= a >= 1 and b <= 31:
            counts["mdy"] += 1
    return counts


def day_first_from(evidence: Counter) -> bool | None:
    """The writer's order from certain dates: True (day first), False (month first) or None (no evidence)."""
    if evidence["dmy"] == evidence["mdy"]:
        return None
    return evidence["dmy"] > evidence["mdy"]


def years_in(text: str) -> list[int]:
    """The years of the dated mentions in `text` (for dates elsewhere that were written without one)."""
    return [m.year for m in find_dates(text) if m.year is not None]


_PATH_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")


def path_year(parts: list[str]) -> int | None:
    """A year named by the nearest folder or the file name: 2024/, 2023-spring/, fieldwork_2022/."""
    for part in reversed(parts):
        match = _PATH_YEAR.search(part)
        if match:
            return int(match[1])
    return None


def format_iso(day: date | None) -> str | None:
    return day.isoformat() if day else None
