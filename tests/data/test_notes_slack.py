"""A meeting held in a Slack channel, read from Slack's workspace export (one JSON file per channel and day)."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from labtune.data.notes.folder import read_notes
from labtune.data.notes.slack_notes import NotSlack, slack_day_to_chat


def _ts(hour: int, minute: int, day: int = 20) -> str:
    return f"{datetime(2025, 5, day, hour, minute, tzinfo=timezone.utc).timestamp():.6f}"


def _export(root, day_name: str = "2025-05-20.json") -> None:
    (root / "lab-meeting").mkdir(parents=True)
    (root / "users.json").write_text(json.dumps([
        {"id": "U01", "name": "yuki", "profile": {"real_name": "Yuki Sato", "display_name": "yuki"}},
        {"id": "U02", "name": "hannah", "profile": {"real_name": "Hannah Becker"}},
        {"id": "U03", "name": "ivo", "profile": {"real_name": "", "display_name": "Ivo Petrov"}}]), encoding="utf-8")
    (root / "channels.json").write_text(json.dumps([{"id": "C01", "name": "lab-meeting"}]), encoding="utf-8")
    (root / "lab-meeting" / day_name).write_text(json.dumps([
        {"type": "message", "user": "U01", "text": "Three per site.\n- filters arrive Friday\n"
                                                    "- the <https://example.org/p|protocol> is in the drive", "ts": _ts(10, 16)},
        {"type": "message", "subtype": "channel_join", "user": "U03", "text": "<@U03> has joined the channel", "ts": _ts(9, 0)},
        {"type": "message", "user": "U01", "text": "I'm presenting the eDNA pilot today", "ts": _ts(10, 2),
         "user_profile": {"real_name": "Yuki Sato"}},
        {"type": "message", "user": "U02", "text": "I'll take notes", "ts": _ts(10, 3)},
        {"type": "message", "user": "U03", "text": "how many replicates per site &amp; depth? cc <@U02>", "ts": _ts(10, 15)}]),
        encoding="utf-8")


def test_a_slack_export_day_is_read_as_the_meetings_chat_with_names_from_the_export(tmp_path):
    _export(tmp_path)
    (tmp_path / "lab-meeting" / "canvas.json").write_text('{"title": "ideas"}', encoding="utf-8")
    (tmp_path / "lab-meeting" / "broken.json").write_text('[{"ts": ', encoding="utf-8")
    read = read_notes(tmp_path)
    (note,) = read.notes
    assert note.date == date(2025, 5, 20)
    assert note.fields == {"Presenter": "Yuki Sato", "Recorder": "Hannah Becker", "Topic": "the eDNA pilot"}
    texts = [f.text for f in note.facts]
    assert "how many replicates per site & depth? cc @Hannah Becker." in texts  # mention by name, entity decoded
    assert texts[-2:] == ["filters arrive Friday", "the protocol is in the drive"]  # messages in time order
    assert "has joined" not in note.text and "https://" not in note.text
    reasons = {p.name: why for p, why in read.skipped}
    assert reasons.pop("broken.json").startswith("JSON that cannot be read (")
    assert reasons == {
        "canvas.json": "JSON that is not a day of a Slack channel's export (a list of messages, each with a 'ts')",
        "channels.json": "a Slack export's list of its workspace (people, channels), not a meeting",
        "users.json": "a Slack export's list of its workspace (people, channels), not a meeting"}


def test_a_slack_day_saved_under_another_name_is_dated_by_its_first_message(tmp_path):
    _export(tmp_path, day_name="meeting.json")
    (note,) = read_notes(tmp_path).notes
    assert note.date == date(2025, 5, 20) and note.fields["Presenter"] == "Yuki Sato"


_JSON = st.recursive(st.none() | st.booleans() | st.floats(allow_nan=True) | st.integers() | st.text(max_size=12),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
                         st.sampled_from(["ts", "text", "user", "subtype", "real_name", "profile"]), inner, max_size=4),
                     max_leaves=12)


_TS = st.one_of(st.sampled_from(["1747735320.000200", "1e400", "-1e20", "nan", ""]), st.floats(), st.integers(), _JSON)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.fixed_dictionaries({"ts": _TS}, optional={key: _JSON for key in (
    "text", "user", "username", "subtype", "user_profile")}), max_size=4))
def test_no_json_a_slack_day_can_hold_breaks_the_reader_it_is_a_chat_or_a_reason(messages):
    try:
        chat = slack_day_to_chat(json.dumps(messages), Path("lab-meeting") / "2025-05-20.json")
    except NotSlack:
        return
    assert chat.startswith("#lab-meeting 2025-05-20\n")
