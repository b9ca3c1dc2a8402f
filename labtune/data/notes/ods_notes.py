"""A meeting schedule saved as a LibreOffice spreadsheet (.ods), read with `odfpy`: each sheet that is a
schedule becomes a Markdown table as a .csv export of it would (`csv_notes.rows_to_markdown`), date cells
by their ISO date value, other cells by the text they show."""

from __future__ import annotations

import io

from odf import teletype
from odf.opendocument import load
from odf.table import Table, TableRow

from labtune.data.notes.csv_notes import MAX_SHEET_COLUMNS, MAX_SHEET_ROWS, sheets_to_markdown


def _repeat(element, attribute: str) -> int:
    try:
        return max(1, int(element.getAttribute(attribute) or 1))
    except ValueError:
        return 1


def _cell_text(cell) -> str:
    if cell.getAttribute("valuetype") == "date" and cell.getAttribute("datevalue"):
        day = cell.getAttribute("datevalue")
        return day[:10] if day[10:].strip("T0:.") == "" else day.replace("T", " ")[:16]
    return " ".join(teletype.extractText(cell).split())


def _rows(table) -> list[list[str]]:
    rows: list[list[str]] = []
    for row in table.getElementsByType(TableRow):
        cells: list[str] = []
        for cell in row.childNodes:
            if cell.qname[1] in ("table-cell", "covered-table-cell"):
                text = _cell_text(cell) if cell.qname[1] == "table-cell" else ""  # a merged cell's hidden part
                cells += [text] * min(_repeat(cell, "numbercolumnsrepeated"), MAX_SHEET_COLUMNS - len(cells))
        rows += [cells] * min(_repeat(row, "numberrowsrepeated"), MAX_SHEET_ROWS - len(rows))
        if len(rows) >= MAX_SHEET_ROWS:
            break
    return rows


def ods_to_markdown(data: bytes) -> str:
    """Every schedule sheet as a table (`sheets_to_markdown`); any error of a file that is not a spreadsheet
    propagates."""
    sheets = load(io.BytesIO(data)).spreadsheet.getElementsByType(Table)
    return sheets_to_markdown((sheet.getAttribute("name"), _rows(sheet)) for sheet in sheets)
