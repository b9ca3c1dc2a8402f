"""A meeting's transcript (.vtt from Zoom, Teams or Meet; .srt from Otter) read as the meeting's chat."""

from __future__ import annotations

from datetime import date

from labtune.data.notes.folder import read_notes

ZOOM = """WEBVTT

1
00:00:03.120 --> 00:00:07.450
Yuki Sato: Okay, I'm presenting the eDNA pilot today.

2
00:00:08.000 --> 00:00:10.300
Hannah Becker: And I'll take notes.

3
00:01:15.000 --> 00:01:20.000
Ivo Petrov: How many replicates per site

4
00:01:20.000 --> 00:01:22.000
Ivo Petrov: did you take?

5
00:01:23.000 --> 00:01:25.000
Yuki Sato: Three per site, and the filters arrive on Friday.

6
00:01:26.000 --> 00:01:29.000
So the question is: do we sample again in June?
"""

TEAMS = """WEBVTT

00:00:01.000 --> 00:00:04.000
<v Ana Lima>Hi all, I'm presenting flume sediment transport today.</v>

00:00:05.000 --> 00:00:07.000
<v Bo Chen>I'll take the minutes.</v>

00:00:09.000 --> 00:00:12.000
<v Ana Lima>The flume now runs at 40 litres per second.</v>
"""

OTTER = """1
00:00:02,000 --> 00:00:05,000
Mei Tanaka: I'm presenting the soil respiration data today.

2
00:00:06,000 --> 00:00:08,000
Tomás Ruiz: I'll take notes.

3
00:00:10,000 --> 00:00:14,000
Mei Tanaka: Respiration doubled after rewetting.
"""


def test_zoom_teams_and_otter_transcripts_are_read_as_the_meetings_chat(tmp_path):
    (tmp_path / "GMT20240116-150212_Recording.transcript.vtt").write_text(ZOOM, encoding="utf-8")
    (tmp_path / "2024-02-06 lab meeting.vtt").write_text(TEAMS, encoding="utf-8")
    (tmp_path / "2024-03-05 otter.srt").write_text(OTTER, encoding="utf-8")
    (tmp_path / "notes.srt").write_text("not subtitles\n", encoding="utf-8")
    (tmp_path / "silent.vtt").write_text("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n \n", encoding="utf-8")
    read = read_notes(tmp_path)
    assert [(n.date, n.fields.get("Presenter"), n.fields.get("Recorder"), n.fields.get("Topic")) for n in read.notes] == [
        (date(2024, 1, 16), "Yuki Sato", "Hannah Becker", "the eDNA pilot"),
        (date(2024, 2, 6), "Ana Lima", "Bo Chen", "flume sediment transport"),
        (date(2024, 3, 5), "Mei Tanaka", "Tomás Ruiz", "the soil respiration data")]
    zoom = read.notes[0]
    assert "How many replicates per site did you take?" in [f.text for f in zoom.facts]  # one turn over two cues
    assert "So the question is: do we sample again in June?" in [f.text for f in zoom.facts]  # no speaker's name
    assert "40 litres per second" in " ".join(f.text for f in read.notes[1].facts)
    assert {p.name: why for p, why in read.skipped} == {
        "notes.srt": "not a SubRip transcript (Invalid format)",
        "silent.vtt": "a transcript with nothing said in it"}
