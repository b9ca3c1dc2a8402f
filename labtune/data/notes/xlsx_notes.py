"""A meeting schedule saved as an Excel workbook (.xlsx: Excel, Google Sheets' download, LibreOffice's
"Save as"), read with `openpyxl`: each sheet that is a schedule becomes a Markdown table as a .csv export
of it would (`csv_notes.rows_to_markdown`). Formulas are read as the values last computed, dates as dates."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from labtune.data.notes.csv_notes import MAX_SHEET_COLUMNS, MAX_SHEET_ROWS, cell_text, sheets_to_markdown


def xlsx_to_markdown(data: bytes) -> str:
    """Every schedule sheet as a table (`sheets_to_markdown`); any error of a file that is not a workbook
    propagates."""
    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        return sheets_to_markdown(
            (sheet.title, [[cell_text(v) for v in row]
                           for row in sheet.iter_rows(max_row=MAX_SHEET_ROWS, max_col=MAX_SHEET_COLUMNS, values_only=True)])
            for sheet in book.worksheets)
    finally:
        book.close()
