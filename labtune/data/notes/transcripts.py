"""A meeting's transcript as Zoom, Teams, Meet or Otter save it (.vtt WebVTT, .srt SubRip), read with
`webvtt-py`: each speaker's turn (cues in a row by the same voice joined) is written as the chat log the
reader knows ("[00:01:15] Yuki Sato: ..."), then read as chat logs are (`chatlog.py`). The speaker is the
cue's voice (Teams: `<v Yuki Sato>`) or the name before its colon (Zoom: "Yuki Sato: ..."). A Zoom
recording's file name holds the day in UTC ("GMT20240116-150212_Recording.transcript.vtt"): it heads the log."""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

import webvtt

from labtune.data.notes.labels import looks_like_name
from labtune.data.notes.note import NotNotes

TRANSCRIPT_SUFFIXES = {".vtt": "WebVTT", ".srt": "SubRip"}
_SAID = re.compile(r"^(?P<name>[^\W\d_][^:]{0,40}?):\s+(?P<text>\S.*)$", re.S)
_ZOOM_DAY = re.compile(r"(?:^|GMT|\D)(20\d\d)(\d\d)(\d\d)(?:[-_T]\d{4,6}|\D|$)")


class NotATranscript(NotNotes):
    """A .vtt or .srt file that holds no cues."""


def transcript_to_chat(text: str, path: Path) -> str:
    """The transcript's turns as a chat log; NotATranscript when `text` is none."""
    try:
        captions = webvtt.from_buffer(io.StringIO(text), format=path.suffix.lower().lstrip("."))
    except webvtt.errors.MalformedFileError as exc:
        raise NotATranscript(f"not a {TRANSCRIPT_SUFFIXES[path.suffix.lower()]} transcript ({exc})") from None
    turns: list[list] = []  # [start, speaker or None, text]
    for caption in captions:
        said = " ".join(caption.text.split())
        if not said:
            continue
        speaker = getattr(caption, "voice", None)
        named = None if speaker else _SAID.match(said)
        if named and looks_like_name(named["name"]):  # "So the question is: why?" names nobody
            speaker, said = named["name"].strip(), named["text"]
        if turns and (speaker is None or speaker == turns[-1][1]):
            turns[-1][2] += " " + said  # the same voice going on, or a cue that names nobody
        else:
            turns.append([caption.start.split(".")[0], speaker, said])
    if not turns:
        raise NotATranscript("a transcript with nothing said in it")
    lines = [f"[{start}] {speaker}: {said}" if speaker else said for start, speaker, said in turns]
    return _heading(path.stem) + "\n".join(lines) + "\n"


def _heading(stem: str) -> str:
    """"Meeting YYYY-MM-DD" from a recording's name holding its day as eight digits; else nothing (the
    reader dates the file as any other, by its name or folder)."""
    found = _ZOOM_DAY.search(stem)
    try:
        return f"Meeting {date(int(found[1]), int(found[2]), int(found[3])).isoformat()}\n" if found else ""
    except ValueError:  # eight digits that are no day
        return ""
