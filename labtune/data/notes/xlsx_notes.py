"""A meeting schedule saved as an Excel workbook (.xlsx: Excel, Google Sheets' download, LibreOffice's
"Save as"), read with `openpyxl`: each sheet that is a schedule becomes a Markdown table as a .csv export
of it would (`csv_notes.rows_to_markdown`). Formulas are read as the values last computed, dates as dates."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from labtune.data.notes.csv_notes import NoMeetingsTable, cell_text, rows_to_markdown

_MAX_ROWS = 5000  # a semester's schedule is tens of rows; a logger's sheet can be a million
_MAX_COLUMNS = 64  # and a handful of columns; a sheet's stated size can be any


def xlsx_to_markdown(data: bytes) -> str:
    """Every schedule sheet as a table under a heading with the sheet's name; NoMeetingsTable when no sheet
    is one. Any error of a file that is not a workbook propagates."""
    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        tables, reasons = [], []
        for sheet in book.worksheets:
            cells = sheet.iter_rows(max_row=_MAX_ROWS, max_col=_MAX_COLUMNS, values_only=True)
            rows = [[cell_text(v) for v in row] for row in cells]
            try:
                tables.append(f"## {sheet.title}\n\n{rows_to_markdown(rows)}")
            except NoMeetingsTable as exc:
                reasons.append(str(exc))
    finally:
        book.close()
    if not tables:
        raise NoMeetingsTable(reasons[0] if len(set(reasons)) == 1 else "no sheet names a presenter, note taker or topic")
    return "\n".join(tables)
