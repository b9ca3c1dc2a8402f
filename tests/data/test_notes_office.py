"""Notes kept in office files other than documents: a schedule workbook (.xlsx) and a talk's slides (.pptx)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from odf import table as odf_table
from odf import text as odf_text
from odf.opendocument import OpenDocumentSpreadsheet
from openpyxl import Workbook
from pptx import Presentation
from pptx.util import Inches

from labtune.data.notes.csv_notes import cell_text
from labtune.data.notes.folder import read_notes


def _schedule(path, *, title_rows: bool = True) -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "Spring 2024"
    if title_rows:
        sheet.append(["Lab meeting schedule – Spring 2024"])
        sheet.append([])
    sheet.append(["Date", "Speaker", "Note taker", "Topic"])
    sheet.append([datetime(2024, 1, 16), "Aiko Mori", "Sven Berg", "snow chemistry"])
    sheet.append([datetime(2024, 1, 23), "Sven Berg", "Aiko Mori", "=\"ice cores\""])  # a formula, never computed
    sheet.append([datetime(2024, 1, 30), None, None, "no meeting (holiday)"])
    logger = book.create_sheet("logger")
    logger.append(["date", "temperature"])
    logger.append([datetime(2024, 1, 16), 4.2])
    book.save(path)


def test_a_schedule_workbook_is_read_row_by_row_below_its_title_and_other_sheets_are_left(tmp_path):
    _schedule(tmp_path / "schedule.xlsx")
    data = Workbook()
    data.active.append(["date", "temperature"])
    data.active.append([datetime(2024, 1, 16), 4.2])
    data.save(tmp_path / "logger.xlsx")
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    read = read_notes(tmp_path)
    assert [(n.date, n.fields.get("Presenter"), n.fields.get("Recorder"), n.fields.get("Topic")) for n in read.notes] == [
        (date(2024, 1, 16), "Aiko Mori", "Sven Berg", "snow chemistry"),
        (date(2024, 1, 23), "Sven Berg", "Aiko Mori", None),  # a formula saved uncomputed has no value to read
        (date(2024, 1, 30), None, None, None)]
    assert read.notes[-1].fields == {"Status": "no meeting (holiday)"}  # a called-off row has no topic
    assert [(p.name, why) for p, why in read.skipped] == [
        ("broken.xlsx", "not an Excel workbook that can be read (BadZipFile)"),
        ("logger.xlsx", "a table that holds no meetings (no column names a presenter, note taker or topic)")]


def _ods(path) -> None:
    """A schedule as LibreOffice Calc saves it: a title row, date cells with their ISO value beside the text
    they show, and the sheet's empty rest as repeated cells and rows."""
    document = OpenDocumentSpreadsheet()
    sheet = odf_table.Table(name="Spring 2024")

    def row(values, repeat_empty_after: int = 1000):
        line = odf_table.TableRow()
        for value in values:
            if isinstance(value, tuple):  # (ISO value, text shown)
                cell = odf_table.TableCell(valuetype="date", datevalue=value[0])
                cell.addElement(odf_text.P(text=value[1]))
            else:
                cell = odf_table.TableCell(valuetype="string")
                cell.addElement(odf_text.P(text=value))
            line.addElement(cell)
        line.addElement(odf_table.TableCell(numbercolumnsrepeated=repeat_empty_after))
        sheet.addElement(line)

    row(["Lab meeting schedule"])
    row(["Date", "Presenter", "Note taker", "Topic"])
    row([("2024-01-16", "16/01/24"), "Aiko Mori", "Sven Berg", "snow chemistry"])
    row([("2024-01-23T00:00:00", "23/01/24"), "Sven Berg", "Aiko Mori", "ice cores"])
    sheet.addElement(odf_table.TableRow(numberrowsrepeated=1048570))
    document.spreadsheet.addElement(sheet)
    document.save(str(path))


def test_a_libreoffice_schedule_is_read_by_its_cells_date_values(tmp_path):
    _ods(tmp_path / "schedule.ods")
    (tmp_path / "broken.ods").write_bytes(b"PK\x03\x04 not really a zip")
    read = read_notes(tmp_path)
    assert [(n.date, n.fields["Presenter"], n.fields["Recorder"], n.fields["Topic"]) for n in read.notes] == [
        (date(2024, 1, 16), "Aiko Mori", "Sven Berg", "snow chemistry"),
        (date(2024, 1, 23), "Sven Berg", "Aiko Mori", "ice cores")]
    assert [(p.name, why) for p, why in read.skipped] == [
        ("broken.ods", "not an OpenDocument spreadsheet that can be read (BadZipFile)")]


def test_an_excel_97_schedule_is_read_by_its_date_cells(tmp_path):
    xlwt = pytest.importorskip("xlwt")  # writes .xls for the test; labtune reads it with xlrd
    book, dated = xlwt.Workbook(), xlwt.easyxf(num_format_str="YYYY-MM-DD")
    sheet = book.add_sheet("Spring 2024")
    sheet.write(0, 0, "Lab meetings, spring term")
    for r, row in enumerate([["Date", "Presenter", "Note taker", "Topic"],
                             [datetime(2024, 1, 16), "Aiko Mori", "Sven Berg", "snow chemistry"],
                             [datetime(2024, 1, 23), "Sven Berg", "Aiko Mori", "ice cores"]], start=2):
        for c, value in enumerate(row):
            sheet.write(r, c, value, dated) if isinstance(value, datetime) else sheet.write(r, c, value)
    book.save(str(tmp_path / "schedule.xls"))
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0 not really a workbook")
    read = read_notes(tmp_path)
    assert [(n.date, n.fields["Presenter"], n.fields["Recorder"], n.fields["Topic"]) for n in read.notes] == [
        (date(2024, 1, 16), "Aiko Mori", "Sven Berg", "snow chemistry"),
        (date(2024, 1, 23), "Sven Berg", "Aiko Mori", "ice cores")]
    assert [(p.name, why) for p, why in read.skipped] == [
        ("old.xls", "not an Excel 97-2003 workbook that can be read (XLRDError)")]


def test_a_csv_schedule_may_have_its_title_above_the_header(tmp_path):
    (tmp_path / "schedule.csv").write_text("Lab meetings spring term,,\n,,\nDate,Presenter,Topic\n"
                                           "2024-02-06,Aiko Mori,firn density\n", encoding="utf-8")
    (note,) = read_notes(tmp_path).notes
    assert (note.date, note.fields["Presenter"], note.fields["Topic"]) == (date(2024, 2, 6), "Aiko Mori", "firn density")


def test_spreadsheet_cells_read_as_a_note_would_write_them():
    assert [cell_text(v) for v in (datetime(2024, 1, 16), datetime(2024, 1, 16, 10, 30), 3.0, 2.5, None, " a \n b ")] \
        == ["2024-01-16", "2024-01-16 10:30", "3", "2.5", "", "a b"]


def _deck(path, subtitle: str) -> None:
    deck = Presentation()
    title = deck.slides.add_slide(deck.slide_layouts[0])
    title.shapes.title.text = "Ergosterol as a fungal biomass marker"
    title.placeholders[1].text = subtitle
    methods = deck.slides.add_slide(deck.slide_layouts[1])
    methods.shapes.title.text = "Methods"
    body = methods.placeholders[1].text_frame
    body.text = "Ergosterol extraction with methanol and KOH"
    detail = body.add_paragraph()
    detail.text, detail.level = "measured on the HPLC at 282 nm", 1
    methods.notes_slide.notes_text_frame.text = "Farid will book the HPLC for the week of 6 May."
    results = deck.slides.add_slide(deck.slide_layouts[5])
    results.shapes.title.text = "Results"
    table = results.shapes.add_table(2, 2, Inches(1), Inches(1), Inches(4), Inches(1)).table
    for (row, col), text in {(0, 0): "plot", (0, 1): "ergosterol (µg/g)", (1, 0): "drought", (1, 1): "3.1"}.items():
        table.cell(row, col).text = text
    deck.save(path)


def test_a_talks_slides_give_its_topic_speaker_date_and_the_facts_of_its_slides_and_speaker_notes(tmp_path):
    _deck(tmp_path / "talk.pptx", "Beatriz Oyelaran\nLab meeting, 2 April 2024")
    (tmp_path / "broken.pptx").write_bytes(b"PK\x03\x04 not really a zip")
    read = read_notes(tmp_path)
    (note,) = read.notes
    assert (note.date, note.fields["Presenter"], note.fields["Topic"]) == (
        date(2024, 4, 2), "Beatriz Oyelaran", "Ergosterol as a fungal biomass marker")
    assert [(f.kind, f.text) for f in note.facts] == [
        ("item", "Ergosterol extraction with methanol and KOH"), ("number", "measured on the HPLC at 282 nm"),
        ("action", "Farid will book the HPLC for the week of 6 May."), ("number", "plot: drought; ergosterol (µg/g): 3.1")]
    assert [(p.name, why) for p, why in read.skipped] == [("broken.pptx", "not a PowerPoint deck that can be read (BadZipFile)")]


@pytest.mark.parametrize("line", ["Oyelaran and Engström labs", "Journal Club", "Thank You"])
def test_only_a_title_slide_line_that_is_one_persons_name_is_taken_for_the_speaker(tmp_path, line):
    _deck(tmp_path / "talk.pptx", f"{line}\nLab meeting, 2 April 2024")
    (note,) = read_notes(tmp_path).notes
    assert "Presenter" not in note.fields and note.date == date(2024, 4, 2)
