"""A meeting's date: the first of its sources that gives one, read in its writer's day/month order, and
given a year from the nearest evidence when it was written without one.

Sources, in order: front matter, a Date label or a table's date cell, the heading or title line, the
email subject, the first lines, the email's Date header, the file name, the folder names. Day/month
order: the file's own unambiguous dates (13/05/2024), else the folder's, else a weekday written beside
it, else month-first; a file name with a full date settles an ambiguous one it agrees with. Year: the
email's date, a year in the file's heading, the folder path (2024/, 2023-spring/), the other notes.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from labtune.data.notes.dates import MONTHS, DateMention, day_first_from, find_dates, order_evidence, path_year

# A date after these words is some other day: "due 5/3", "next meeting 4/28", "since 2019-01-01".
_NOT_MEETING_DATE = re.compile(r"\b(?:by|due|deadline|before|until|till|next|from|since|last|previous|born|"
                               r"submitted|expires?|opens?|closes?)\b[^\d]{0,14}$", re.I)
_STEM_MMDD = re.compile(r"^(\d{1,2})[-_.]?(\d{2})(?:\D|$)")  # 2023/0303.md, 2024/03-12.md
_MONTH_WORDS = set(MONTHS) | {m[:3] for m in MONTHS}
_READ_NUMERIC_WITHOUT_YEAR = ("heading", "date field", "front matter", "table", "file name", "email subject")


def path_parts(path: Path, root: Path | None) -> list[str]:
    """The folders below the notes root and the file's stem: where a path can date a note."""
    try:
        parts = path.relative_to(root).parts if root else path.parts[-2:]
    except ValueError:
        parts = path.parts[-2:]
    return [*parts[:-1], Path(parts[-1]).stem] if parts else []


def day_in_month_folder(parts: list[str]) -> str | None:
    """The date a file named for its day ("14.md") has in a folder named for its month ("01-January",
    "2025-01", "2025/05"), or a day's folder has ("2025/05/06/notes.md"), as text for `MeetingDates.pick`;
    None for any other path."""
    days = [k for k in (len(parts) - 1, len(parts) - 2) if k >= 0 and re.fullmatch(r"\d{1,2}", parts[k])
            and 1 <= int(parts[k]) <= 31]
    if not days:
        return None
    day, above = int(parts[days[0]]), parts[:days[0]]
    for i in reversed(range(len(above))):
        folder = above[i]
        named = [word for word in re.findall(r"[A-Za-z]+", folder) if word.lower() in _MONTH_WORDS]
        if named:
            return f"{day} {named[0]}"
        numeric = re.fullmatch(r"((?:19|20)\d\d)[-_.](\d{1,2})", folder)
        if numeric:
            return f"{numeric[1]}-{int(numeric[2]):02d}-{day:02d}"
        month_under_year = i and re.fullmatch(r"(?:19|20)\d\d", above[i - 1])
        if re.fullmatch(r"\d{1,2}", folder) and 1 <= int(folder) <= 12 and month_under_year:
            return f"{above[i - 1]}-{int(folder):02d}-{day:02d}"
    return None


def _swapped(day: date) -> date | None:
    try:
        return day.replace(month=day.day, day=day.month)
    except ValueError:
        return None


class MeetingDates:
    """Dates for the meetings of one file."""

    def __init__(self, parts: list[str], file_text: str, folder_day_first: bool | None,
                 years: list[tuple[int, str]], folder_year: int | None, sent: date | None = None):
        self.day_first = day_first_from(order_evidence(file_text))
        if self.day_first is None:
            self.day_first = folder_day_first
        self.stem = parts[-1] if parts else ""
        self.path_dates = [m.date for part in parts for m in find_dates(part) if m.date]
        self.path_days = {(m.month, m.day) for part in parts for m in find_dates(part)}  # with or without a year
        self.years = list(years)
        if path_year(parts):
            self.years.append((path_year(parts), "the folder path"))
        if folder_year:
            self.years.append((folder_year, "the other notes"))
        self.sent = sent
        self.problems: list[str] = []

    def _mention(self, text: str, source: str) -> DateMention | None:
        for mention in find_dates(text, self.day_first, source in _READ_NUMERIC_WITHOUT_YEAR):
            if not _NOT_MEETING_DATE.search(text[:mention.start]):
                return mention
        return None

    def _with_year(self, mention: DateMention, source: str) -> tuple[date, str] | None:
        first = mention.on_year(self.years[0][0]) if self.years else None
        if mention.weekday is not None and first and first.weekday() != mention.weekday:
            # "Mon 3/10" in "AY 2024-2025/": the year near the others' in which that day is a Monday
            for year in dict.fromkeys(y + shift for shift in (0, 1, -1) for y, _ in self.years):
                day = mention.on_year(year)
                if day and day.weekday() == mention.weekday:
                    return day, f"{source}; year from its weekday, near {self.years[0][1]}'s"
        for year, where in self.years:
            day = mention.on_year(year)
            if day and self.sent:
                day, settled = self._before_sent(mention, year)
                if settled:
                    return day, f"{source}; year and day/month order from the email's date"
            if day:
                return day, f"{source}; year from {where}"
        self.problems.append(f'"{mention.text}" ({source}) has no year, and neither the path nor the other notes '
                             "give one")
        return None

    def _before_sent(self, mention: DateMention, year: int) -> tuple[date | None, bool]:
        """An email is sent after its meeting: of the readings of "4/9" (and the year before, for "28 Dec"
        sent on 3 Jan), the latest on or before the day it was sent. (date, whether the order was settled)."""
        readings = [(mention.month, mention.day)]
        if mention.ambiguous:
            readings.append((mention.day, mention.month))
        days = []
        for month, day in readings:
            for y in (year, year - 1):
                try:
                    days.append(date(y, month, day))
                except ValueError:
                    continue
        before = [d for d in days if d <= self.sent]
        if not before:
            return mention.on_year(year), False
        return max(before), mention.ambiguous

    def pick(self, candidates: list[tuple[str, str]]) -> tuple[date | None, str]:
        """(date, where it was read) from `candidates` [(text, source), ...] in order; (None, "") if none."""
        for text, source in candidates:
            mention = self._mention(text, source)
            if mention is None:
                continue
            if source == "body" and mention.year is None and self.path_dates:
                continue  # "the week of 3 June" in a note named 2024_05_21.md: the file name's full date wins
            if mention.date:
                swapped = _swapped(mention.date) if mention.ambiguous else None
                # "11/02/2025" in feb11.txt or 2025-02-11.md: the path's day and month settle the order.
                if swapped and (swapped.month, swapped.day) in self.path_days \
                        and (mention.date.month, mention.date.day) not in self.path_days:
                    return swapped, f"{source}; day/month order from the file name"
                return mention.date, source
            dated = self._with_year(mention, source)
            if dated:
                return dated
        return self._from_stem()

    def _from_stem(self) -> tuple[date | None, str]:
        """A file named 0303.md in a folder that names its year."""
        mmdd = _STEM_MMDD.match(self.stem)
        if not mmdd or not self.years:
            return None, ""
        a, b = int(mmdd[1]), int(mmdd[2])
        month, day = (b, a) if self.day_first else (a, b)
        year, where = self.years[0]
        try:
            return date(year, month, day), f"file name; year from {where}"
        except ValueError:
            return None, ""
