"""Each layout people write notes in, as small inline notes (other wording than the sample folders), and
the wrong readings the reader must not make: an email subject taken as the topic, a person's name or a
TODO taken for a field key, a future presenter taken for this meeting's."""

from __future__ import annotations

import io
import struct
import zlib
from datetime import date
from pathlib import Path

import pytest

from labtune.data.notes.parse import parse_file, parse_note, read_notes


def parse(text: str, name: str = "note.md"):
    return parse_note(Path(name), text)


def folder_of(tmp_path, files: dict[str, str | bytes]):
    for name, content in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return read_notes(tmp_path)


EMAIL = """From: "Okafor, Bisi" <bisi.okafor@example.org>
To: lab-list@example.org
Date: Mon, 4 Mar 2024 17:20:00 +0000
Subject: RE: Minutes - weekly lab meeting 4 March

Hi team,

Wei presented his thermal tolerance assays on the coral larvae.

- Survival drops sharply above 31 °C
- Wei will repeat the 32 °C treatment by 15 March

> On the last call we said the chiller was broken
> and that nobody should use it.

Cheers,
Bisi
"""


def test_email_reads_the_sign_off_as_recorder_and_never_the_raw_subject_as_topic():
    note = parse(EMAIL, "mail.txt")
    assert note.date == date(2024, 3, 4) and note.date_source.startswith("email subject")
    assert note.fields["Recorder"] == "Bisi Okafor" and note.field_sources["Recorder"] == "email sign-off"
    assert note.fields["Presenter"] == "Wei"
    # The subject only says "minutes of a meeting on a date": the topic comes from the body.
    assert note.fields["Topic"] == "his thermal tolerance assays on the coral larvae"
    assert "chiller" not in " ".join(f.text for f in note.facts)  # quoted reply left out
    assert [f.owner for f in note.facts if f.kind == "action"] == ["Wei"]


def test_email_subject_is_cleaned_of_reply_and_meeting_words_before_it_is_a_topic():
    note = parse(EMAIL.replace("RE: Minutes - weekly lab meeting 4 March", "Fwd: Re: [coral-lab] meeting notes "
                                                                            "04/03/2024: larval thermal tolerance"))
    assert note.fields["Topic"] == "larval thermal tolerance" and note.field_sources["Topic"] == "email subject"


def test_outlook_pasted_email_with_sent_header_and_no_sign_off_uses_the_sender():
    note = parse("From: Wei Zhang <wz@example.org>\nSent: Tuesday, 12 March 2024 09:00\nTo: lab\n"
                 "Subject: Lab meeting notes\n\nPresenter: Bisi Okafor\nTopic: Reef survey design\n", "m.txt")
    assert note.date == date(2024, 3, 12) and note.date_source == "email header"
    assert note.fields == {"Presenter": "Bisi Okafor", "Topic": "Reef survey design", "Recorder": "Wei Zhang"}
    assert note.field_sources["Recorder"] == "email sender"


def test_saved_eml_file_with_mime_parts_and_a_forwarded_message(tmp_path):
    eml = (b"From: Ana Lima <ana@example.org>\r\nTo: lab@example.org\r\nDate: Thu, 7 Mar 2024 10:00:00 +0100\r\n"
           b"Subject: Fwd: notes\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=XX\r\n\r\n"
           b"--XX\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
           b"---------- Forwarded message ---------\r\nFrom: Jos=C3=A9 Ruiz <jose@example.org>\r\n"
           b"Date: Tue, 5 Mar 2024 16:00:00 +0100\r\nSubject: Lab meeting 5 March: eDNA metabarcoding\r\n\r\n"
           b"Ana gave a talk on eDNA metabarcoding of the river samples.\r\n"
           b"- Jos=C3=A9 to order primers by Friday\r\n\r\n"
           b"Best,\r\nJos=C3=A9\r\n--XX\r\nContent-Type: text/html\r\n\r\n<p>ignored</p>\r\n--XX--\r\n")
    notes = folder_of(tmp_path, {"inbox/notes.eml": eml}).notes
    assert len(notes) == 1
    note = notes[0]
    assert note.date == date(2024, 3, 5)
    assert note.fields["Topic"] == "eDNA metabarcoding" and note.fields["Recorder"] == "José Ruiz"
    assert note.fields["Presenter"] == "Ana"
    assert [(f.owner, f.deadline) for f in note.facts if f.kind == "action"] == [("José Ruiz", "Friday")]


def test_an_email_sent_as_html_only_is_read_from_its_html(tmp_path):
    eml = (b"From: Omar Reyes <omar@example.org>\r\nTo: lab@example.org\r\nSubject: Lab meeting minutes 4/14/2023\r\n"
           b"Date: Fri, 14 Apr 2023 16:02:11 -0400\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n"
           b"Content-Transfer-Encoding: quoted-printable\r\n\r\n<html><body><p><b>Presenter:</b> Hana Kowalczyk<br>"
           b"<b>Topic:</b> Diatom blooms in the reservoir</p><ul><li>Chlorophyll peaked two weeks earlier than last=\r\n"
           b" year</li><li>Priya will order new filters by April 21</li></ul></body></html>\r\n")
    (note,) = folder_of(tmp_path, {"minutes.eml": eml}).notes
    assert (note.date, note.fields["Presenter"], note.fields["Recorder"]) == (date(2023, 4, 14), "Hana Kowalczyk",
                                                                             "Omar Reyes")
    assert note.fields["Topic"] == "Diatom blooms in the reservoir"
    assert [(f.owner, f.deadline) for f in note.facts if f.kind == "action"] == [("Priya", "April 21")]
    assert "<p>" not in note.text and "<b>" not in note.text and "Chlorophyll peaked two weeks earlier than last year" in note.text


def test_a_page_saved_as_html_reads_like_its_markdown(tmp_path):
    page = ("<html><head><title>Lab meeting</title><style>td {padding: 2px}</style></head><body>"
            "<h1>Lab meeting 19 May 2023</h1><table><tr><th>Presenter</th><td>Priya Natarajan</td></tr>"
            "<tr><th>Minute taker</th><td>Lin Zhou</td></tr></table><h2>Phosphorus budgets of the inflow</h2>"
            "<ol><li>The inflow carried 60% of the phosphorus load in spring</li></ol>"
            "<script>track();</script></body></html>")
    markdown = ("# Lab meeting 19 May 2023\n\n| Presenter | Priya Natarajan |\n|---|---|\n| Minute taker | Lin Zhou |\n\n"
                "## Phosphorus budgets of the inflow\n\n1. The inflow carried 60% of the phosphorus load in spring\n")
    html = folder_of(tmp_path / "html", {"may.htm": page}).notes
    md = folder_of(tmp_path / "md", {"may.md": markdown}).notes
    assert [(n.date, n.fields) for n in html] == [(n.date, n.fields) for n in md]
    assert html[0].fields["Presenter"] == "Priya Natarajan" and html[0].fields["Recorder"] == "Lin Zhou"
    assert [f.text for f in html[0].facts] == [f.text for f in md[0].facts] and html[0].facts
    assert "track()" not in html[0].text and "padding" not in html[0].text


def _one_pixel_png() -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


def test_word_minutes_with_heading_styles_bold_labels_a_roles_table_and_bullets(tmp_path):
    docx = pytest.importorskip("docx")
    document = docx.Document()
    document.add_heading("Lab meeting, 2 June 2023", level=0)  # Word's Title style
    label = document.add_paragraph()
    label.add_run("Topic:").bold = True
    label.add_run(" Nitrate sensors drift in cold water")
    table = document.add_table(rows=2, cols=2)
    for row, (role, name) in zip(table.rows, [("Presenter", "Omar Reyes"), ("Note taker", "Hana Kowalczyk")]):
        row.cells[0].text, row.cells[1].text = role, name
    document.add_heading("Discussion", level=2)
    document.add_paragraph("The sensors drift 5% per week below 8 degrees", style="List Bullet")
    document.add_paragraph("Lin will recalibrate the sensors by June 9", style="List Bullet")
    document.add_heading("Action items", level=2)
    actions = document.add_table(rows=2, cols=3)  # no header cells: its first row is read as the header
    for row, cells in zip(actions.rows, [("Action", "Owner", "Due"), ("Order 20 sediment cores", "Dev Patel", "June 30")]):
        for cell, text in zip(row.cells, cells):
            cell.text = text
    document.add_picture(io.BytesIO(_one_pixel_png()))
    document.save(tmp_path / "minutes.docx")
    (tmp_path / "broken.docx").write_bytes(b"PK\x03\x04 not really a zip")
    read = read_notes(tmp_path)
    (note,) = read.notes
    assert note.date == date(2023, 6, 2) and note.fields["Topic"] == "Nitrate sensors drift in cold water"
    assert (note.fields["Presenter"], note.fields["Recorder"]) == ("Omar Reyes", "Hana Kowalczyk")
    assert [f.kind for f in note.facts] == ["number", "action", "action"] and note.facts[1].owner == "Lin"
    assert (note.facts[2].text, note.facts[2].owner, note.facts[2].deadline) == ("Order 20 sediment cores", "Dev Patel",
                                                                               "June 30")
    assert "base64" not in note.text and "![" not in note.text
    assert [(p.name, why) for p, why in read.skipped] == [("broken.docx",
                                                          "not a Word document that can be read (BadZipFile)")]


def _pdf(lines: list[str]) -> bytes:
    """A one-page PDF writing `lines` in Helvetica, as a word processor's export holds text."""
    shown = " ".join(f"({line}) '" for line in lines)
    content = f"BT /F1 12 Tf 72 720 Td 14 TL {shown} ET"
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
               "/Resources << /Font << /F1 5 0 R >> >> >>",
               f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
               "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"]
    out, offsets = "%PDF-1.4\n", []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n"
    table = f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n" + "".join(f"{o:010d} 00000 n \n" for o in offsets)
    return (out + table + f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{len(out)}\n%%EOF\n"
            ).encode("latin-1")


def test_minutes_exported_as_pdf_read_like_the_same_text(tmp_path):
    lines = ["Lab meeting 9 June 2023", "Presenter: Lin Zhou", "Note taker: Priya Natarajan",
             "Topic: Zooplankton counts with the FlowCam", "- Lin will order a second flow cell by June 16"]
    pdf = folder_of(tmp_path / "pdf", {"minutes.pdf": _pdf(lines), "scan.pdf": _pdf([]),
                                       "damaged.pdf": b"%PDF-1.4\n1 0 obj <<"})
    text = folder_of(tmp_path / "text", {"minutes.md": "\n".join(lines) + "\n"})
    assert [(n.date, n.fields, [f.text for f in n.facts]) for n in pdf.notes] == \
        [(n.date, n.fields, [f.text for f in n.facts]) for n in text.notes]
    assert pdf.notes[0].fields["Recorder"] == "Priya Natarajan"
    reasons = {path.name: why for path, why in pdf.skipped}
    assert reasons == {"scan.pdf": "no text in it (a scan? notes are read from text)",
                       "damaged.pdf": reasons["damaged.pdf"]} and reasons["damaged.pdf"].startswith("not a PDF that")


def test_a_headed_note_with_attendance_a_quoted_title_and_notes_under_the_recorders_name():
    note = parse("# 2023/04/27 group meeting\n\n## Attendance\nAnn Lee, Bob Stone, Carla Mendes, Dev Patel (remote)\n\n"
                 "## Presentation\nDev Patel — \"Sediment microbial mats under hypoxia\"\n\n## Notes (Carla Mendes)\n"
                 "* Mats thicken within 3 days of hypoxia\n* Dev needs another 20 cores from site B\n")
    assert note.fields["Presenter"] == "Dev Patel" and note.fields["Topic"] == "Sediment microbial mats under hypoxia"
    assert note.fields["Recorder"] == "Carla Mendes"
    assert note.fields["Attendees"] == "Ann Lee, Bob Stone, Carla Mendes, Dev Patel (remote)"
    assert [f.text for f in note.facts] == ["Mats thicken within 3 days of hypoxia",
                                            "Dev needs another 20 cores from site B"]  # the names are no fact


@pytest.mark.parametrize("below", ["Attendees:\nAnn Lee, Bob Stone", "## Attendees\n- Ann Lee\n- Bob Stone",
                                   "**Attendance**\nAnn Lee and Bob Stone"])
def test_attendees_listed_below_their_label_are_attendees_not_facts(below):
    note = parse(f"Lab meeting 2023-04-27\nPresenter: Dev Patel\n\n{below}\n\n- Mats thicken within 3 days\n")
    assert note.fields["Attendees"] in ("Ann Lee, Bob Stone", "Ann Lee and Bob Stone")
    assert [f.text for f in note.facts] == ["Mats thicken within 3 days"]


def test_a_speaker_sentence_gives_the_subject_after_who_talked_about():
    note = parse("Thursday, April 20, 2023\n\nToday's speaker was Carla Mendes, who talked about eelgrass wasting "
                 "disease.\nMinutes: Bob Stone\n")
    assert (note.fields["Presenter"], note.fields["Topic"]) == ("Carla Mendes", "eelgrass wasting disease")


@pytest.mark.parametrize("sentence", ["Yuki Tanaka is presenting today on phage receptor binding proteins.",
                                      "Yuki Tanaka talked this week about phage receptor binding proteins."])
def test_a_presenting_sentence_with_today_before_the_subject_gives_the_subject(sentence):
    note = parse(f"Lab meeting, 25 Feb 2025\n\n{sentence}\nOmar will take notes.\n")
    assert (note.fields["Presenter"], note.fields["Topic"]) == ("Yuki Tanaka", "phage receptor binding proteins")


@pytest.mark.parametrize("bracket, topic", [("nitrate leaching from cover crops", "nitrate leaching from cover crops"),
                                           ("via Zoom", None), ("PhD student", None), ("standing in for Ben", None)])
def test_a_presenter_label_with_the_talk_in_brackets_after_the_name(bracket, topic):
    note = parse(f"### Thu 3 Apr 2025\nPresenting: Rosa Delgado ({bracket})\nTaking minutes: Ben Achebe\n"
                 "- Leaching fell by 38% under rye.\n")
    assert note.fields["Presenter"] == "Rosa Delgado" and note.fields.get("Topic") == topic


def test_labels_in_sentences_on_one_line_after_the_meetings_name():
    note = parse('Lab meeting. Chair: Ines Ruiz. Presenter: Tom Baker. Minutes: Lea Wong.\n'
                 'Tom\'s talk: "Cold tolerance in Arabidopsis accessions".\n- CBF3 expression peaked at 4 h.\n',
                 "2025-05-06.md")
    assert note.fields == {"Chair": "Ines Ruiz", "Presenter": "Tom Baker", "Recorder": "Lea Wong",
                           "Topic": "Cold tolerance in Arabidopsis accessions"}
    assert [f.text for f in note.facts] == ["CBF3 expression peaked at 4 h."]


def test_a_presentation_section_holding_a_sentence_gives_the_talk_it_names():
    note = parse('**Date:** Tuesday, September 2, 2025\n**Presenter(s):** Marco Rossi\n**Recorder:** Aisha Bello\n\n'
                 '### Presentation\nMarco presented "Heat stress and pollen viability in tomato".\n'
                 '* Pollen viability fell to 40% at 38 °C.\n')
    assert (note.fields["Presenter"], note.fields["Topic"]) == ("Marco Rossi", "Heat stress and pollen viability in tomato")


def test_attendees_as_mentions_are_a_list_of_names():
    note = parse("# Weekly sync\n\nDate: @September 30, 2025\nAttendees: @Helen Park @Aisha Bello @Marco Rossi\n"
                 "Presenter: @Marco Rossi\nScribe: @Helen Park\n\nTopic: Single-cell atlas of the tomato anther\n")
    assert note.fields["Attendees"] == "Helen Park, Aisha Bello, Marco Rossi"
    assert (note.fields["Presenter"], note.fields["Recorder"]) == ("Marco Rossi", "Helen Park")


def test_a_persons_name_or_a_todo_is_never_a_field_key():
    note = parse("Lab meeting 4/2/2024\nPresenter: Ada Quill\nLocation: Room 12\n\nMaria: will send the file\n"
                 "TODO: clean the fume hood\nTODO Bo: book the van\nAda: agreed, after lunch.\n"
                 "Sven: can you share the slides?\n")
    assert note.fields == {"Presenter": "Ada Quill", "Location": "Room 12"}
    by_text = {f.text: f for f in note.facts}
    assert by_text["Maria: will send the file"].owner == "Maria"
    assert by_text["Bo: book the van"].owner == "Bo" and by_text["Bo: book the van"].kind == "action"
    assert by_text["clean the fume hood"].kind == "action"
    assert by_text["Ada: agreed, after lunch."].owner is None  # a reply, not a task
    assert by_text["Sven: can you share the slides?"].kind == "question"


def test_yaml_front_matter_with_snake_case_keys_and_the_date_only_there():
    note = parse("---\ndate: 2024-05-07\npresented_by: Kwame Mensah\nnote_taker: Lin Wu\ntalk_title: Stomatal "
                 "density in drought\ntags: [x]\n---\n\n# Notes\n- Density rises by 20 % under drought\n", "x.md")
    assert note.date == date(2024, 5, 7) and note.date_source == "front matter"
    assert note.fields == {"Presenter": "Kwame Mensah", "Recorder": "Lin Wu", "Topic": "Stomatal density in drought"}
    assert note.facts[0].kind == "number" and note.facts[0].numbers == ["20 %"]


@pytest.mark.parametrize("title, topic", [
    ("Directed evolution round 4", "Directed evolution round 4"),
    ("Lab meeting 12 - Aim 2 progress", "Aim 2 progress"),
    ("Lab meeting 12 – Soil aggregates", "Soil aggregates"),
])
def test_a_number_that_numbers_the_subject_stays_in_the_topic(title, topic):
    note = parse(f"---\ndate: 2025-01-28\npresenter: Sofia Brandao\ntitle: {title}\n---\n\nThe best variant wins.\n")
    assert note.fields["Topic"] == topic


def test_broken_yaml_front_matter_is_read_as_text_and_reported():
    note = parse("---\ndate: [2024-05-07\n---\nLab meeting 5/7/2024\nSpeaker: Lin Wu\n")
    assert note.fields["Presenter"] == "Lin Wu" and note.date == date(2024, 5, 7)
    assert any("not valid YAML" in p for p in note.problems)


@pytest.mark.parametrize("table", [
    "| Role | Person |\n|---|---|\n| Speaker | Kwame Mensah |\n| Minute taker | Lin Wu |\n| Talk title | Leaf traits |",
    "| Speaker | Minute taker | Subject |\n| :-- | :-- | :-- |\n| Kwame Mensah | Lin Wu | Leaf traits |",
    "| **Presenter** | Kwame Mensah |\n|---|---|\n| **Scribe** | Lin Wu |\n| **Topic** | Leaf traits |",
])
def test_markdown_tables_of_roles_in_either_direction(table):
    note = parse(f"## Lab meeting 2024-05-14\n\n{table}\n\n- Leaf mass per area is up 12 %\n")
    assert note.fields == {"Presenter": "Kwame Mensah", "Recorder": "Lin Wu", "Topic": "Leaf traits"}
    assert [f.text for f in note.facts] == ["Leaf mass per area is up 12 %"]


def test_a_schedule_table_of_future_presenters_gives_no_roles():
    note = parse("Lab meeting 5/14/2024\nPresenter: Lin Wu\n\n| Date | Presenter |\n|---|---|\n| 5/21 | Kwame |\n"
                 "| 5/28 | Ana |\n")
    assert note.fields == {"Presenter": "Lin Wu"}
    assert len(note.facts) == 2


@pytest.mark.parametrize("sentence, role, name", [
    ("Today the talk was by Tom Okeke.", "Presenter", "Tom Okeke"),
    ("Ana kept the minutes.", "Recorder", "Ana"),
    ("Minutes were taken by Ravi.", "Recorder", "Ravi"),
    ("Kwame walked us through the new growth chambers.", "Presenter", "Kwame"),
    ("Our speaker was Dr. Lin Wu.", "Presenter", "Lin Wu"),
    ("The meeting was chaired by Ada Quill.", "Chair", "Ada Quill"),
])
def test_prose_states_roles_with_the_name_the_sentence_writes(sentence, role, name):
    note = parse(f"Lab meeting, 14 May 2024\n\n{sentence} The rest of the hour went on budgets.\n")
    assert note.fields[role] == name and note.field_sources[role].startswith("sentence")


def test_prose_about_another_meeting_states_no_role():
    note = parse("Lab meeting, 14 May 2024\n\nNext week Kwame will present his leaf data. "
                 "Lin Wu talked about stomata.\n")
    assert note.fields["Presenter"] == "Lin Wu" and note.fields["Topic"] == "stomata"


@pytest.mark.parametrize("after", ["Next meeting (21 May): Kwame presents. Lin takes notes.",
                                   "Next week: Kwame presents, Lin takes notes."])
def test_sentences_after_one_about_the_next_meeting_state_no_role_of_this_one(after):
    note = parse(f"Lab meeting, 14 May 2024\n\nAda Quill talked about stomata.\n\n{after}\n")
    assert note.fields == {"Presenter": "Ada Quill", "Topic": "stomata"}


def test_terse_lowercase_notes_expand_names_the_folder_writes_in_full(tmp_path):
    folder = folder_of(tmp_path, {
        "a.md": "Lab meeting 2024-05-07\nPresenter: Kwame Mensah\nRecorder: Lin Wu\n",
        "b.txt": "mtg 14 may 2024\nspkr - lin\nscribe - kwame\nre: leaf litter\n- lin to email the dean by fri\n"
                 "- next wk kwame presents\n",
    })
    terse = next(n for n in folder.notes if n.path.name == "b.txt")
    assert terse.fields == {"Presenter": "Lin Wu", "Recorder": "Kwame Mensah", "Topic": "leaf litter"}
    action = next(f for f in terse.facts if f.kind == "action")
    assert (action.owner, action.deadline) == ("Lin Wu", "fri")


def test_several_meetings_in_one_file_split_at_bold_dated_headings_and_share_the_path():
    notes = parse_file(Path("log.md"), "Lab log 2024\n\n**3 April**\nSpeaker: Ana\n- pumps fixed\n\n"
                                       "**10 April**\nSpeaker: Bo\n- freezer alarm\n\n**Next meeting 17 April**\n")
    assert [(n.date, n.fields["Presenter"], n.path) for n in notes] == [
        (date(2024, 4, 3), "Ana", Path("log.md")), (date(2024, 4, 10), "Bo", Path("log.md"))]
    assert notes[1].facts[0].text == "freezer alarm"


def test_a_next_meeting_heading_does_not_split_a_note():
    notes = parse_file(Path("n.md"), "# Lab meeting 4/14/2023\nPresenter: Ana\n\n## Next meeting 4/28/2023\n- Bo\n")
    assert len(notes) == 1 and notes[0].date == date(2023, 4, 14)


def test_day_first_dates_follow_the_folders_evidence_and_month_first_folders_stay_so(tmp_path):
    uk = folder_of(tmp_path / "uk", {"a.txt": "Lab meeting 13/05/2024\nSpeaker: Ana\n",
                                     "b.txt": "Lab meeting 07/05/2024\nSpeaker: Bo\n"})
    assert sorted(n.date for n in uk.notes) == [date(2024, 5, 7), date(2024, 5, 13)]
    us = folder_of(tmp_path / "us", {"a.txt": "Lab meeting 5/13/2024\nSpeaker: Ana\n",
                                     "b.txt": "Lab meeting 07/05/2024\nSpeaker: Bo\n"})
    assert sorted(n.date for n in us.notes) == [date(2024, 5, 13), date(2024, 7, 5)]


def test_a_written_weekday_settles_an_ambiguous_date():
    assert parse("Lab meeting Tue 02/04/2024\nSpeaker: Ana\n").date == date(2024, 4, 2)
    assert parse("Lab meeting Sun 02/04/2024\nSpeaker: Ana\n").date == date(2024, 2, 4)


def test_dates_without_a_year_take_it_from_the_path_or_the_other_notes(tmp_path):
    folder = folder_of(tmp_path, {
        "2023-spring/0303.md": "Presenter: Ana Lima\nTopic: Soil pH\n",
        "2023-spring/talk.md": "# Lab meeting on the 2nd of June\nPresenter: Bo Tran\n",
        "other.txt": "Lab meeting Apr 14th\nPresenter: Cy Dahl\n",
        "dated.txt": "Lab meeting 2022-01-11\nPresenter: Di Eze\n",
        "dated2.txt": "Lab meeting 2022-02-11\nPresenter: Di Eze\n",
    })
    by_name = {n.path.name: n for n in folder.notes}
    assert by_name["0303.md"].date == date(2023, 3, 3) and "file name" in by_name["0303.md"].date_source
    assert by_name["talk.md"].date == date(2023, 6, 2) and "folder path" in by_name["talk.md"].date_source
    assert by_name["other.txt"].date == date(2022, 4, 14) and "other notes" in by_name["other.txt"].date_source


def test_a_date_only_in_the_file_name_with_underscores(tmp_path):
    folder = folder_of(tmp_path, {"2024_05_21_notes.md": "# Root traits\n- Speaker: Ana Lima\n"})
    assert folder.notes[0].date == date(2024, 5, 21) and folder.notes[0].date_source == "file name"
    assert folder.notes[0].fields["Topic"] == "Root traits"


def test_folder_skips_are_listed_with_reasons_and_hidden_files_are_not_notes(tmp_path):
    folder = folder_of(tmp_path, {".obsidian/config.md": "x", "empty.md": "  \n", "a.md": "Lab meeting 5/1/2024\n"
                                  "Presenter: Ana\n", "b.md": "# Lab meeting 5/8/2024\n"})
    assert [(p.name, r) for p, r in folder.skipped] == [("b.md", "nothing found: no roles, topic or items"),
                                                       ("empty.md", "empty file")]


def test_a_note_the_reader_cannot_handle_is_listed_and_the_rest_still_read(tmp_path, monkeypatch):
    import labtune.data.notes.folder as folder_module

    real = folder_module.parse_file

    def fragile(path, text, context):
        if path.name == "odd.md":
            raise ValueError("unexpected layout")
        return real(path, text, context)

    monkeypatch.setattr(folder_module, "parse_file", fragile)
    folder = folder_of(tmp_path, {"odd.md": "x", "ok.md": "Lab meeting 5/1/2024\nPresenter: Ana\n"})
    assert [n.path.name for n in folder.notes] == ["ok.md"]
    assert folder.skipped == [(tmp_path / "odd.md", "could not be read (ValueError: unexpected layout); "
                                                    "please report this note")]


def test_roles_beside_names_heading_labels_and_speaker_with_topic():
    note = parse("# Lab Meeting Notes - 04-Jun-2024\n\n**Attendees:** Ana Lima (chair), Bo Tran, Cy Dahl (minutes)\n"
                 "\n## Agenda\n1. qPCR primer design\n2. Freezer\n\n## Notes\n"
                 "- Presentation: Bo Tran on qPCR primer design\n")
    assert note.date == date(2024, 6, 4)
    assert {k: note.fields[k] for k in ("Presenter", "Recorder", "Chair", "Topic")} == {
        "Presenter": "Bo Tran", "Recorder": "Cy Dahl", "Chair": "Ana Lima", "Topic": "qPCR primer design"}
    below = parse("### Presenter\nDee Park\n\n### Note taker\nAna Lima\n\n### Date\nJune 11, 2024\n\n### Topic\n"
                  "Stable isotope probing\n", "b.md")
    assert below.fields == {"Presenter": "Dee Park", "Recorder": "Ana Lima", "Topic": "Stable isotope probing"}
    assert below.date == date(2024, 6, 11) and below.title == "b"
    terse = parse("lab mtg 25.06.2024\nspeaker: Ana Lima – soil imaging with micro-CT\nnotes: dee\n")
    assert terse.fields == {"Presenter": "Ana Lima", "Topic": "soil imaging with micro-CT", "Recorder": "Dee"}


def test_a_log_of_meetings_each_opening_with_a_date_label_is_split():
    notes = parse_file(Path("log.md"), "# Soil lab log\n\n## Meeting 1\nDate: 3/5/2024\nPresenter: Ana Lima\n"
                                       "- rewet\n\n---\n\n## Meeting 2\nDate: 3/12/2024\nPresenter: Bo Tran\n")
    assert [(n.title, n.date, n.fields["Presenter"]) for n in notes] == [
        ("Meeting 1", date(2024, 3, 5), "Ana Lima"), ("Meeting 2", date(2024, 3, 12), "Bo Tran")]
    assert [f.text for f in notes[0].facts] == ["rewet"]  # the --- rule is no fact


def test_email_date_settles_a_yearless_ambiguous_subject_date_and_a_signature_names_the_writer():
    note = parse("From: Ana Lima <ana@lab.org>\nDate: Fri, 12 Apr 2024 08:30:00 -0400\nSubject: Lab meeting 9/4 - "
                 "nitrification inhibitors\n\nBo's talk was about nitrification inhibitors.\n"
                 "→ order new KCl asap (Dee)\n\n--\nDr. Ana Lima\nSoil Ecology Lab\n", "m.txt")
    assert note.date == date(2024, 4, 9)  # 9/4 read day-first: 4 Sept would be after the email was sent
    assert note.fields["Recorder"] == "Ana Lima" and note.fields["Presenter"] == "Bo"
    action = next(f for f in note.facts if f.kind == "action")
    assert (action.owner, action.deadline) == ("Dee", "asap")


def test_italic_labels_and_titles_and_names_with_titles_or_notes_in_parentheses():
    note = parse("*Lab meeting, 16/04/2024*\n\n*Presenter:* Dee Park (PhD student)\n*Minute-taker:* Dr. Bo Tran\n"
                 "_Subject:_ Denitrification assays\n")
    assert note.title == "Lab meeting, 16/04/2024"
    assert note.fields == {"Presenter": "Dee Park", "Recorder": "Bo Tran", "Topic": "Denitrification assays"}


def test_the_reader_never_raises_on_random_note_like_text():
    import random

    from labtune.data.notes.parse import FolderContext
    from labtune.data.notes.people import People

    pieces = ["Presenter:", "**Notes:**", "Talk by -", "| Role | Who |", "|---|---|", "| Chair | Ana |", "---",
              "## 5 March 2024", "Date: 3/4/2024", "From: A <a@b>", "Subject: Re:", "Best,", "Ana",
              "- [ ] Bo: send by fri",
              "TODO", "@", "(owner:", ")", "by", "the 2nd of", "June", "13/13/2024", "02/04/24", "Ana Lima", "é", "\t",
              ":", "|", "*", "_", "#", "> quoted", "-- ", "1.", "•", "→", "presented", "kept the minutes", "next week",
              "gave a talk on", "?", ".", "2024", "Apr 14th", "'24", "\u200b", "\ufeff", "---\ntitle: [", "..."]
    rng = random.Random(7)
    context = FolderContext(people=People(["Ana Lima", "Bo Tran"]))
    for k in range(300):
        text = "\n".join(" ".join(rng.choice(pieces) for _ in range(rng.randint(0, 8)))
                         for _ in range(rng.randint(0, 12)))
        for note in parse_file(Path(f"2024/x{k}.md"), text, context):
            assert note.date is None or note.date.year > 1900


def test_notes_that_open_with_prose_and_titles_that_state_roles(tmp_path):
    folder = folder_of(tmp_path, {
        "a.txt": "On Tuesday 7 May 2024 we met in room 3. Presenter was Priyanka Rao and the scribe was Luis Ortega.\n"
                 "Priyanka presented her work on CRISPR base editors in rice.\n",
        "b.md": "mtg 5/14/2024 - luis presenting, priyanka on notes\n- [Priyanka] book the growth room by 5/21\n",
        "c.md": "---\ndate: 2024-05-21\nroles:\n  presenter: Mei Chen\n  scribe: Luis Ortega\n---\n"
                "# Topic: Rice root hair mutants (Mei Chen)\nRoot hairs are 40 % shorter.\n",
        "2024/lab-meeting-may-28.md": "Talk: Drought priming of seedlings – Priyanka Rao\nScribe: Mei Chen\n",
    })
    got = {n.path.name: n.fields for n in folder.notes}
    assert got["a.txt"] == {"Presenter": "Priyanka Rao", "Recorder": "Luis Ortega",
                            "Topic": "CRISPR base editors in rice"}
    assert got["b.md"] == {"Presenter": "Luis Ortega", "Recorder": "Priyanka Rao"}  # the title is no topic
    assert got["c.md"] == {"Presenter": "Mei Chen", "Recorder": "Luis Ortega", "Topic": "Rice root hair mutants"}
    assert got["lab-meeting-may-28.md"] == {"Presenter": "Priyanka Rao", "Recorder": "Mei Chen",
                                            "Topic": "Drought priming of seedlings"}
    action = next(f for n in folder.notes if n.path.name == "b.md" for f in n.facts if f.kind == "action")
    assert (action.owner, action.deadline) == ("Priyanka Rao", "5/21")


def test_a_role_account_sender_or_an_empty_placeholder_is_nobody():
    note = parse("From: noreply@lab.org\nSubject: Lab meeting 2024-05-01\n\nPresenter: Ana Lima\nRecorder: (none)\n",
                 "m.txt")
    assert note.fields == {"Presenter": "Ana Lima"} and note.empty_fields == ["Recorder"]
    named = parse("From: ana.lima@lab.org\nSubject: Lab meeting 2024-05-01\n\nPresenter: Bo Tran\n", "m.txt")
    assert named.fields["Recorder"] == "Ana Lima" and named.field_sources["Recorder"] == "email sender"


def test_org_mode_note_reads_its_property_drawer_headings_and_todo_items(tmp_path):
    found = folder_of(tmp_path, {"lab.org": "#+TITLE: Weekly lab meeting\n* Meeting <2024-05-07 Tue 10:00>\n"
                                            ":PROPERTIES:\n:PRESENTER: Amara Osei\n:NOTETAKER: Jonas Berg\n:END:\n"
                                            "** Topic: Necromass in grassland soils\n"
                                            "- TODO Jonas: rerun the standards by 14 May\n"})
    assert found.skipped == []
    note = found.notes[0]
    assert note.date == date(2024, 5, 7)
    assert (note.fields["Presenter"], note.fields["Recorder"], note.topic) == \
        ("Amara Osei", "Jonas Berg", "Necromass in grassland soils")
    assert [(f.kind, f.owner, f.deadline) for f in note.facts if f.kind == "action"] == [("action", "Jonas Berg", "14 May")]
    assert ":PROPERTIES:" not in note.text


def test_a_file_name_date_beats_a_yearless_date_in_the_notes_text():
    note = parse("**Presenter:** Mei Lin\n**Notes:** Amara Osei\n\n* Jonas will book the centrifuge for the week of "
                 "3 June\n", "2024_05_21.md")
    assert (note.date, note.date_source) == (date(2024, 5, 21), "file name")


def test_email_that_names_its_note_taker_keeps_the_sender_as_speaker_from_the_subject():
    note = parse("From: Jonas Berg <jonas@example.org>\nSubject: lab meeting 4 June - Jonas on soil moisture "
                 "sensors\nDate: Tue, 4 Jun 2024 17:40:11 +0200\n\nSensors read 4 % high in clay (Amara kindly "
                 "chaired).\n\nNotes taken by Mei Lin, tidied up by me.\nJonas\n", "mail.txt")
    assert (note.fields["Presenter"], note.topic) == ("Jonas Berg", "soil moisture sensors")
    assert (note.fields["Recorder"], note.fields["Chair"]) == ("Mei Lin", "Amara")


def test_journal_club_led_by_a_person_gives_the_papers_title_as_topic():
    note = parse('Journal club, 28 May 2024\nAna Souza led the discussion of "Root exudates shape the '
                 'rhizosphere microbiome" (Nature Plants).\nScribe: Tariq Haddad\n', "jc.txt")
    assert (note.fields["Presenter"], note.topic) == ("Ana Souza", "Root exudates shape the rhizosphere microbiome")


def test_agenda_item_of_the_speaker_gives_the_topic():
    note = parse("MINUTES\n\nDate of meeting: 14.05.2024\nPresenter(s): Tariq Haddad\nMinute-taker: Ana Souza\n\n"
                 "Agenda\n1. Tariq Haddad: calibrating the eddy covariance tower\n2. AOB\n", "m.txt")
    assert note.topic == "calibrating the eddy covariance tower"


def test_names_in_capitals_and_at_mentions_are_written_as_the_folder_writes_them(tmp_path):
    folder = folder_of(tmp_path, {
        "2024-05-30.txt": "PRESENTER: HYE-JIN PARK\nSCRIBE: OLU BANKOLE\nTOPIC: N2O from meadows\n",
        "2024-05-23.md": "# Weekly sync\n\nPresenter: @Sven Lindqvist\nScribe: @Priya Natarajan\nTopic: tree rings\n",
        "2024-06-06.md": "Presenter: Hye-jin Park\nNotes: Olu Bankole\nTopic: leak tests\n- Olu will order kits\n",
    })
    got = {n.path.name: (n.fields["Presenter"], n.fields["Recorder"]) for n in folder.notes}
    assert got == {"2024-05-30.txt": ("Hye-jin Park", "Olu Bankole"),
                   "2024-05-23.md": ("Sven Lindqvist", "Priya Natarajan"),
                   "2024-06-06.md": ("Hye-jin Park", "Olu Bankole")}


def test_roles_beside_names_in_a_meeting_heading_and_the_speakers_opening_line():
    notes = parse_file(Path("log.md"), "# Lab log 2024\n\n## 2024-06-06 — Priya Natarajan (pres) / Sven Lindqvist "
                                       "(notes)\nPriya Natarajan: soil DNA kits compared. PowerSoil won.\n\n"
                                       "## 2024-06-13 — Sven Lindqvist (pres) / Priya Natarajan (notes)\n"
                                       "Sven Lindqvist: dendrometer bands.\n")
    assert [(n.fields.get("Presenter"), n.fields.get("Recorder"), n.topic) for n in notes] == \
        [("Priya Natarajan", "Sven Lindqvist", "soil DNA kits compared"),
         ("Sven Lindqvist", "Priya Natarajan", "dendrometer bands")]


def test_a_talks_subject_in_a_sentence_ends_at_a_colon():
    note = parse("Recap (20 June 2024)\n\nToday Hye-jin Park gave a talk about chamber leak tests: the old ones "
                 "leak 5 % per hour.\n", "recap.txt")
    assert (note.fields["Presenter"], note.topic) == ("Hye-jin Park", "chamber leak tests")


def test_labels_on_the_first_line_then_a_heading_that_names_the_subject():
    note = parse("**Date:** 4 July 2024 | **Presenter:** Anna van der Berg | **Scribe:** José Núñez\n\n"
                 "### Coral bleaching thresholds\n\nBleaching starts at 4 DHW.\n\n## Action items\n- José: loggers\n",
                 "export.md")
    assert (note.fields["Presenter"], note.fields["Recorder"], note.topic) == \
        ("Anna van der Berg", "José Núñez", "Coral bleaching thresholds")
    assert parse("Presenter: Ana Lima\nScribe: Bo Tran\n\n## Discussion\n- soil pH\n", "m.md").topic is None


def test_presented_today_on_gives_the_subject_without_the_day():
    note = parse("Lab meeting 18 July 2024\n\nRuth Okello presented today on seagrass carbon stocks.\n", "r.txt")
    assert (note.fields["Presenter"], note.topic) == ("Ruth Okello", "seagrass carbon stocks")


def test_roles_beside_names_in_any_label_and_roles_stated_in_the_present_tense(tmp_path):
    folder = folder_of(tmp_path, {
        "2024/sept 3.md": "Lab meeting, Tues 3rd Sept\n\nWho: Mei Tanaka (presenting), Tomás Ruiz (notes)\n"
                          "Talk: Lidar canopy gaps\n",
        "2024/log.md": "# Fall lab meetings\n\n### Sept 10\nInes Vidal presents; Mei Tanaka scribes.\nTopic: seedlings\n\n"
                       "### Sept 17\nTomás Ruiz presents; Ines Vidal scribes.\nTopic: soil respiration\n",
        "2024/oct1.txt": "10/1 mtg - tomas presenting on canopy closure models, ines scribing\n- the model is off\n",
    })
    got = [(n.date.isoformat(), n.fields.get("Presenter"), n.fields.get("Recorder"), n.topic) for n in folder.notes]
    assert got == [("2024-09-03", "Mei Tanaka", "Tomás Ruiz", "Lidar canopy gaps"),
                   ("2024-09-10", "Ines Vidal", "Mei Tanaka", "seedlings"),
                   ("2024-09-17", "Tomás Ruiz", "Ines Vidal", "soil respiration"),
                   ("2024-10-01", "Tomás Ruiz", "Ines Vidal", "canopy closure models")]


def test_a_schedule_table_is_one_meeting_per_dated_row_and_a_sampling_log_is_not():
    notes = parse_file(Path("schedule.md"), "# Autumn\n\n| Date | Presenter | Note taker | Topic |\n|---|---|---|---|\n"
                                            "| 2024-10-29 | Sarah O'Connor | Liam Chen | Biofilms |\n"
                                            "| 2024-11-05 | Liam Chen | Noa Levi | Phages |\n")
    assert [(n.date, n.fields["Presenter"], n.fields["Recorder"], n.topic) for n in notes] == \
        [(date(2024, 10, 29), "Sarah O'Connor", "Liam Chen", "Biofilms"),
         (date(2024, 11, 5), "Liam Chen", "Noa Levi", "Phages")]
    one = parse_file(Path("2024-11-12.md"), "Presenter: Noa Levi\n\n| Date | Site | Cores |\n|---|---|---|\n"
                                            "| 2024-11-01 | north | 4 |\n| 2024-11-02 | south | 6 |\n")
    assert [n.fields["Presenter"] for n in one] == ["Noa Levi"]


def test_a_title_line_with_a_date_and_a_colon_names_speaker_and_subject():
    note = parse("Lab Meeting Notes – 19.11.2024 – Sarah O'Connor: Biofilm imaging with light-sheet microscopy\n"
                 "Notes: Noa Levi\n\n- Liam will book the microscope\n", "notes.txt")
    assert (note.date, note.fields["Presenter"], note.topic) == \
        (date(2024, 11, 19), "Sarah O'Connor", "Biofilm imaging with light-sheet microscopy")


def test_a_follow_ups_label_holds_an_action_item(tmp_path):
    note = folder_of(tmp_path, {"recap.txt": "Date: 2024-11-12\nPresenter: Noa Levi\nRecorder: Ravi Menon\n\n"
                                             "Follow-ups: Ravi to set up the flow cells by next Tuesday\n"}).notes[0]
    assert [(f.kind, f.owner, f.deadline) for f in note.facts if f.kind == "action"] == \
        [("action", "Ravi Menon", "next Tuesday")]


def test_labels_in_an_indented_or_numbered_outline():
    note = parse("Lab meeting Mon, Dec 2 2024\n\n1. Roles\n   - Presenter: Kai Mäkelä\n   - Notes: Lea Fischer\n"
                 "2. Talk: Snow algae blooms on the glacier\n   - red snow lowers albedo\n", "m.md")
    assert (note.fields["Presenter"], note.fields["Recorder"], note.topic) == \
        ("Kai Mäkelä", "Lea Fischer", "Snow algae blooms on the glacier")
    assert parse("Presenting today: Omar Haddad\nMinutes by: Kai Mäkelä\n", "2024-12-09.txt").fields == \
        {"Presenter": "Omar Haddad", "Recorder": "Kai Mäkelä"}


def test_front_matter_title_and_author_and_a_discussion_lead():
    note = parse('---\ntitle: "Lab meeting: Stream nitrate pulses after storms"\nauthor: Bea Santos\n---\n\n'
                 "Discussion lead: Karl Weber\n\nNitrate doubled within six hours.\n", "20241203_labmeeting.md")
    assert (note.date, note.fields["Presenter"], note.fields["Recorder"], note.topic) == \
        (date(2024, 12, 3), "Karl Weber", "Bea Santos", "Stream nitrate pulses after storms")


def test_lm_is_short_for_lab_meeting_in_a_title():
    note = parse("LM 2024-12-10: Yuki – stream invertebrates after the flood\n\nPresenter: Yuki Sato\n", "lm.txt")
    assert note.topic == "stream invertebrates after the flood"


def test_a_day_named_file_in_a_month_folder(tmp_path):
    folder = folder_of(tmp_path, {"2025/01-January/14.md": "# Lab meeting\n\nSpeaker: Lena Braun\nNotes: Pia Koch\n",
                                  "2025/2025-02/4.md": "# Lab meeting\n\nSpeaker: Pia Koch\nNotes: Lena Braun\n"})
    assert [(n.date, n.date_source) for n in folder.notes] == [
        (date(2025, 1, 14), "file name and folder; year from the folder path"),
        (date(2025, 2, 4), "file name and folder")]


def test_recorded_by_a_degree_after_a_name_and_who_showed_what():
    note = parse("Lab meeting 28 Jan 2025\n\nPresenter: Dr. Lena Braun, PhD\n\nRecorded by Omar Aziz. Phosphatase "
                 "peaks mid-way.\n", "n.txt")
    assert (note.fields["Presenter"], note.fields["Recorder"]) == ("Lena Braun", "Omar Aziz")
    note = parse("Lab meeting 14 Jan 2025\n\nLena Braun (remote) showed phosphorus fractions in the soils.\n", "s.txt")
    assert (note.fields["Presenter"], note.topic) == ("Lena Braun", "phosphorus fractions in the soils")
    assert "Presenter" not in parse("Lab meeting 14 Jan 2025\n\nThe data showed that P is low.\n", "d.txt").fields


def test_form_layouts_dotted_leaders_equals_signs_and_abbreviated_roles():
    assert parse("LAB MEETING 2025-02-11\n\nPresenter ......... Bo Tran\nMinutes ........... Cy Dahl\n", "f.txt").fields \
        == {"Presenter": "Bo Tran", "Recorder": "Cy Dahl"}
    assert parse("# 18 Feb 2025\n\nPresenter = Cy Dahl\nNotes = Ana Lima\n", "f.md").fields == \
        {"Presenter": "Cy Dahl", "Recorder": "Ana Lima"}
    assert parse("Lab meeting 4 Feb 2025\n\npres. Ana Lima; min. Bo Tran\n", "f.txt").fields == \
        {"Presenter": "Ana Lima", "Recorder": "Bo Tran"}


def test_a_file_named_for_its_day_settles_a_numeric_date_s_order():
    note = parse("LAB MEETING 11/02/2025\n\nPresenter: Bo Tran\n", "feb11.txt")
    assert (note.date, note.date_source) == (date(2025, 2, 11), "heading; day/month order from the file name")


def test_a_form_separator_makes_a_label_only_of_a_role():
    note = parse("Lab meeting 2025-02-11\n\nPresenter = Bo Tran\nn = 40 cores\nTotal ........ 12 samples\n", "f.txt")
    assert note.fields == {"Presenter": "Bo Tran"}


@pytest.mark.parametrize("line", ["Minutes (by Bo Tran):", "Notes (Bo Tran)", "**Minutes (taken by Bo Tran)**"])
def test_a_line_naming_whose_notes_follow_gives_the_recorder(line):
    note = parse(f"Lab meeting 2023-05-02\nPresenter: Ann Lee\nTopic: Ice cores\n\n{line}\n"
                 "- Cores from site C are cracked\n- Ann will recut them by Friday\n")
    assert note.fields["Recorder"] == "Bo Tran"
    assert [f.text for f in note.facts][0] == "Cores from site C are cracked"
    prose = parse("Lab meeting 2023-05-02\nPresenter: Ann Lee\n\nThe minutes (by Bo Tran) are late this week.\n")
    assert "Recorder" not in prose.fields  # a sentence that mentions notes names no recorder


def _odt(path: Path) -> None:
    """LibreOffice minutes: a heading, labelled lines, a bulleted list and an action table without header cells."""
    from odf.opendocument import OpenDocumentText
    from odf.table import Table, TableCell, TableColumn, TableRow
    from odf.text import H, List, ListItem, P

    document = OpenDocumentText()
    document.text.addElement(H(outlinelevel=1, text="Lab meeting, 12 March 2024"))
    for line in ["Presenter: Ann Lee", "Recorder: Bo Tran", "Topic: Ice core density profiles"]:
        document.text.addElement(P(text=line))
    document.text.addElement(H(outlinelevel=2, text="Notes"))
    items = List()
    for text in ["Cores from site C are cracked below 40 m", "Ann will recut the cores by Friday"]:
        item = ListItem()
        item.addElement(P(text=text))
        items.addElement(item)
    document.text.addElement(items)
    document.text.addElement(H(outlinelevel=2, text="Action items"))
    table = Table(name="Actions")
    table.addElement(TableColumn(numbercolumnsrepeated=3))  # a column declaration before the first row
    for cells in [("Action", "Owner", "Due"), ("Order saw blades", "Bo Tran", "March 20")]:
        row = TableRow()
        for text in cells:
            cell = TableCell()
            cell.addElement(P(text=text))
            row.addElement(cell)
        table.addElement(row)
    document.text.addElement(table)
    document.save(str(path))


RTF = rb"""{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0 Calibri;}}{\*\generator Riched20}
{\pard\b Lab meeting 12 March 2024\b0\par}
{\pard Presenter: Ann Lee\par}
{\pard Recorder: Lin Sj\'f6berg\par}
{\pard Topic: Ice core density profiles\par}
{\pard{\pict\pngblip 89504e470d0a1a0a0000000d49484452}\par}
{\pard\fi-360\li720 \bullet\tab Cores from site C are cracked below 40 m\par}
{\pard\fi-360\li720 \bullet\tab Ann will recut the cores by Friday\par}
}"""


def test_libreoffice_and_rich_text_minutes_read_like_their_markdown(tmp_path):
    (tmp_path / "docs").mkdir()
    _odt(tmp_path / "docs" / "minutes.odt")
    (tmp_path / "docs" / "minutes.rtf").write_bytes(RTF.replace(b"12 March", b"19 March"))
    (tmp_path / "docs" / "broken.odt").write_bytes(b"PK\x03\x04 not really a zip")
    (tmp_path / "docs" / "plain.rtf").write_bytes(b"Lab meeting 26 March 2024\nnot rich text at all\n")
    read = read_notes(tmp_path / "docs")
    odt, rtf = sorted(read.notes, key=lambda n: n.date)
    assert odt.date == date(2024, 3, 12) and rtf.date == date(2024, 3, 19)
    assert (odt.fields["Presenter"], odt.fields["Recorder"], odt.fields["Topic"]) == \
        ("Ann Lee", "Bo Tran", "Ice core density profiles")
    assert (rtf.fields["Presenter"], rtf.fields["Recorder"], rtf.fields["Topic"]) == \
        ("Ann Lee", "Lin Sjöberg", "Ice core density profiles")  # \'f6 in the file's code page
    for note in (odt, rtf):
        assert [f.text for f in note.facts][:2] == ["Cores from site C are cracked below 40 m",
                                                   "Ann will recut the cores by Friday"]
        assert "89504e47" not in note.text  # a picture's bytes are no text
    action = odt.facts[-1]  # the table's first row is its header, though a column declaration comes first
    assert (action.text, action.owner, action.deadline) == ("Order saw blades", "Bo Tran", "March 20")
    assert sorted((p.name, why) for p, why in read.skipped) == [
        ("broken.odt", "not an OpenDocument text that can be read (BadZipFile)"),
        ("plain.rtf", "not a Rich Text document that can be read (ValueError)")]
