"""Several meetings in one file ("running notes"), split at their dated headings:

    # Lab meetings, March 2024        <- the preamble (its year dates the headings that give none)
    ## 5 March 2024                   <- one meeting
    ## 12 March                       <- the next

A dated heading is a Markdown heading, a bold line, or a line that is only a date (and words such as
"Lab meeting"), at the same level as the others; at least two with different dates make a split.
Headings about another date ("## Next meeting 4/28", "Deadline 1 June") never split a note. A table
with a date column, a presenter or note-taker column and two or more dated rows is a schedule: one
meeting per row.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from labtune.data.notes.dates import DateMention, find_dates
from labtune.data.notes.labels import DATE, PRESENTER, RECORDER, label_role
from labtune.data.notes.tables import find_tables
from labtune.data.notes.titles import subject_of

_MD_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_BOLD_LINE = re.compile(r"^\s*(\*\*|__)(?P<text>[^*_]+?)(\*\*|__)\s*:?\s*$")
_DATE_LABEL = re.compile(r"^\s*(?:[-*]\s+)?(?:\*\*|__)?(?:meeting\s+)?(?:date|when)(?:\*\*|__)?\s*:\s*(?:\*\*|__)?"
                         r"(?P<text>.+)$", re.I)
_RULE = re.compile(r"^\s*(?:-{3,}|\*{3,}|_{3,}|={3,})\s*$")
_NOT_THIS_MEETING = re.compile(r"\b(?:next|previous|last|upcoming|due|deadline|until|by|before|after|since)\b", re.I)


@dataclass
class Segment:
    lines: list[str]  # the meeting's own lines, its heading first
    heading: str | None  # the dated heading ("## 5 March 2024"), None when the file is one meeting


def dated_heading(line: str, day_first: bool | None) -> tuple[str, DateMention] | None:
    """(level, date) when `line` is a heading naming a meeting's date, else None."""
    md = _MD_HEADING.match(line)
    bold = _BOLD_LINE.match(line)
    label = _DATE_LABEL.match(line)
    if label:  # a log of meetings, each opening with "Date: 3/5/2024"
        level, text = "date label", label["text"]
    elif md:
        level, text = f"#{len(md[1])}", md[2]
    elif bold:
        level, text = "bold", bold["text"]
    else:
        text = line.strip().rstrip(":")
        if re.match(r"^(?:[-*+•|]|\d{1,3}[.)]\s)", text):  # a list item or table row is no heading
            return None
        if not text or len(text.split()) > 8 or subject_of(text) is not None:
            return None
        level = "plain"
    if _NOT_THIS_MEETING.search(text):
        return None
    mentions = find_dates(text, day_first)
    return (level, mentions[0]) if mentions else None


def _opening(lines: list[str], i: int) -> int:
    """Where the meeting of a "Date:" line opens: at the heading or title line just above it, if any."""
    j = i - 1
    while j >= 0 and not lines[j].strip():
        j -= 1
    if j >= 0 and not _RULE.match(lines[j]) and (_MD_HEADING.match(lines[j]) or _BOLD_LINE.match(lines[j])):
        return j
    return i


def split_meetings(lines: list[str], day_first: bool | None) -> tuple[list[str], list[Segment]]:
    """(preamble lines, one segment per meeting); one segment holding every line when there is no split."""
    found = [(i, *h) for i, line in enumerate(lines) if (h := dated_heading(line, day_first))]
    if len(found) >= 2:
        level = Counter(level for _, level, _ in found).most_common(1)[0][0]
        starts = [(i, m) for i, lv, m in found if lv == level]
        if len(starts) >= 2 and len({(m.year, m.month, m.day) for _, m in starts}) == len(starts):
            bounds = [_opening(lines, i) if level == "date label" else i for i, _ in starts] + [len(lines)]
            segments = [Segment(lines[bounds[k]:bounds[k + 1]], lines[bounds[k]]) for k in range(len(starts))]
            return lines[:bounds[0]], segments
    return _schedule(lines, day_first) or ([], [Segment(lines, None)])


def _schedule(lines: list[str], day_first: bool | None) -> tuple[list[str], list[Segment]] | None:
    """A table of meetings, one per row (| Date | Presenter | Note taker | Topic | with two or more dated
    rows): each row becomes a meeting of its own, a one-row table under a heading of its date."""
    for table in find_tables(lines):
        roles = [label_role(header) for header in table.header]
        if DATE not in roles or not {PRESENTER, RECORDER} & set(roles):
            continue
        column = roles.index(DATE)
        rows = [(k, row[column], find_dates(row[column], day_first)) for k, row in enumerate(table.rows)
                if column < len(row)]
        days = [(k, cell, found[0]) for k, cell, found in rows if found]
        if len(days) < 2 or len({(d.year, d.month, d.day) for *_, d in days}) < len(days):
            continue
        head = lines[table.start:table.start + 2]
        segments = [Segment([f"## {cell}", *head, lines[table.start + 2 + k]], f"## {cell}") for k, cell, _ in days]
        return lines[:table.start] + lines[table.end:], segments
    return None
