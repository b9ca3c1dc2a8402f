"""A meeting schedule kept in a spreadsheet (.csv, .tsv exported; a workbook's sheets, `xlsx_notes` and
`ods_notes`) read into the Markdown table the notes reader knows (one row per meeting: date, presenter,
note taker, topic). A table with no column for a role or a topic is data, not notes (a logger's export
also has dates). Rows above the header (a sheet's title, "Spring 2024") stay as text before the table."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time
from pathlib import Path

from labtune.data.notes.labels import PERSON_ROLES, TOPIC, label_role, looks_like_name
from labtune.data.notes.note import NotNotes

TABLE_SUFFIXES = (".csv", ".tsv")
_HEADER_WITHIN = 10  # a sheet's header row comes after at most a title and a few notes
# A workbook's sheet is read this far: a semester's schedule is tens of rows and a handful of columns, while a
# logger's sheet can hold a million rows and a sheet's stated size can be any.
MAX_SHEET_ROWS, MAX_SHEET_COLUMNS = 5000, 64


class NoMeetingsTable(NotNotes):
    """A table, but not a schedule of meetings."""

    def __str__(self) -> str:
        return f"a table that holds no meetings ({self.args[0]})"


def _rows(text: str, suffix: str) -> list[list[str]]:
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
    except csv.Error:  # one column, or too few rows to tell: the suffix's own delimiter
        dialect = csv.excel_tab if suffix == ".tsv" else csv.excel
    return [[" ".join(cell.split()) for cell in row] for row in csv.reader(io.StringIO(text), dialect)
            if any(cell.strip() for cell in row)]


def table_to_markdown(text: str, path: Path) -> str:
    """A CSV or TSV file's table as Markdown; NoMeetingsTable when it is none, or names no meeting role or topic."""
    try:
        rows = _rows(text, path.suffix.lower())
    except csv.Error as exc:  # an unclosed quote running past the field limit, a stray NUL
        raise NoMeetingsTable(f"not CSV that can be read: {exc}") from None
    return rows_to_markdown(rows)


def cell_text(value: object) -> str:
    """A spreadsheet cell as the text a note would hold: a date as ISO 8601 (no day/month guess left to the
    reader), a whole number without ".0", an empty cell as ""."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return " ".join(str(value).split())


def _is_header(row: list[str], below: list[str]) -> bool:
    below = below + [""] * len(row)
    return len([c for c in row if c]) >= 2 and any(
        label_role(h, v, looks_like_name) in (*PERSON_ROLES, TOPIC) for h, v in zip(row, below))


def rows_to_markdown(rows: list[list[str]]) -> str:
    """Rows of cells as text before a Markdown table whose header is the first of the first rows that names
    a presenter, note taker or topic; NoMeetingsTable when none does."""
    rows = [row for row in rows if any(row)]
    if len(rows) < 2 or max(len(row) for row in rows) < 2:
        raise NoMeetingsTable("not a table with a header and a row")
    start = next((i for i in range(min(_HEADER_WITHIN, len(rows) - 1)) if _is_header(rows[i], rows[i + 1])), None)
    if start is None:
        raise NoMeetingsTable("no column names a presenter, note taker or topic")
    above, table = rows[:start], rows[start:]
    width = max(len(row) for row in table)
    lines = ["| " + " | ".join(cell.replace("|", "/") for cell in row + [""] * (width - len(row))) + " |"
             for row in table]
    title = "".join(" ".join(c for c in row if c) + "\n\n" for row in above)
    return title + "\n".join([lines[0], "|" + " --- |" * width, *lines[1:]]) + "\n"


def sheets_to_markdown(sheets) -> str:
    """A workbook's sheets, (name, rows) each, as the schedule tables among them under a heading with the
    sheet's name; NoMeetingsTable when no sheet is one."""
    tables, reasons = [], []
    for name, rows in sheets:
        try:
            tables.append(f"## {name}\n\n{rows_to_markdown(rows)}")
        except NoMeetingsTable as exc:
            reasons.append(exc.args[0])
    if not tables:
        raise NoMeetingsTable(reasons[0] if len(set(reasons)) == 1 else "no sheet names a presenter, note taker or topic")
    return "\n".join(tables)
