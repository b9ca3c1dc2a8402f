"""A meeting schedule kept in a spreadsheet and exported (.csv, .tsv): read with the standard `csv` module
into the Markdown table the notes reader knows (one row per meeting: date, presenter, note taker, topic).
A table with no column for a role or a topic is data, not notes (a logger's export also has dates)."""

from __future__ import annotations

import csv
import io

from labtune.data.notes.labels import PERSON_ROLES, TOPIC, label_role, looks_like_name

TABLE_SUFFIXES = (".csv", ".tsv")


def _rows(text: str, suffix: str) -> list[list[str]]:
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
    except csv.Error:  # one column, or too few rows to tell: the suffix's own delimiter
        dialect = csv.excel_tab if suffix == ".tsv" else csv.excel
    return [[" ".join(cell.split()) for cell in row] for row in csv.reader(io.StringIO(text), dialect)
            if any(cell.strip() for cell in row)]


def table_to_markdown(text: str, suffix: str) -> str:
    """The table as Markdown; ValueError when it names no meeting role or topic in its header."""
    try:
        rows = _rows(text, suffix.lower())
    except csv.Error as exc:  # an unclosed quote running past the field limit, a stray NUL
        raise ValueError(f"not CSV that can be read: {exc}") from None
    if len(rows) < 2 or len(rows[0]) < 2:
        raise ValueError("not a table with a header and a row")
    header, first = rows[0], rows[1] + [""] * len(rows[0])
    if not any(label_role(h, v, looks_like_name) in (*PERSON_ROLES, TOPIC) for h, v in zip(header, first)):
        raise ValueError("no column names a presenter, note taker or topic")
    width = max(len(row) for row in rows)
    lines = ["| " + " | ".join(cell.replace("|", "/") for cell in row + [""] * (width - len(row))) + " |"
             for row in rows]
    return "\n".join([lines[0], "|" + " --- |" * width, *lines[1:]]) + "\n"
