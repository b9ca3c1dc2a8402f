"""A meeting schedule saved in Excel's older binary format (.xls: Excel 97-2003, still what many shared
drives hold), read with `xlrd`: each sheet that is a schedule becomes a Markdown table as a .csv export of
it would (`csv_notes.rows_to_markdown`). Date cells, stored as day numbers, are read as dates."""

from __future__ import annotations

import xlrd

from labtune.data.notes.csv_notes import MAX_SHEET_COLUMNS, MAX_SHEET_ROWS, cell_text, sheets_to_markdown


def _value(cell, datemode: int) -> object:
    if cell.ctype == xlrd.XL_CELL_DATE:
        return xlrd.xldate.xldate_as_datetime(cell.value, datemode)
    return cell.value if cell.ctype in (xlrd.XL_CELL_TEXT, xlrd.XL_CELL_NUMBER) else None


def xls_to_markdown(data: bytes) -> str:
    """Every schedule sheet as a table (`sheets_to_markdown`); any error of a file that is not a workbook
    propagates."""
    book = xlrd.open_workbook(file_contents=data, on_demand=True)
    try:
        sheets = []
        for sheet in book.sheets():
            rows = [[cell_text(_value(cell, book.datemode)) for cell in sheet.row_slice(r, 0, MAX_SHEET_COLUMNS)]
                    for r in range(min(sheet.nrows, MAX_SHEET_ROWS))]
            sheets.append((sheet.name, rows))
        return sheets_to_markdown(sheets)
    finally:
        book.release_resources()
