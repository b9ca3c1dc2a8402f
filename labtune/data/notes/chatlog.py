"""A meeting held in a chat channel and saved as text (Slack, Teams, Zoom or Mattermost, one message a
line: "[10:02] Yuki Sato: I'm presenting the eDNA pilot today"): each message becomes a paragraph of its
own, in the third person ("Yuki Sato is presenting ..."), so the roles it states and the facts it holds
are read as in prose notes. Other text is left as it is."""

from __future__ import annotations

import re

# A message's time stamp as chat programs write it: "[10:02]", "[2025-05-20 10:02]", "10:02 AM", "10:02:33"
# (Zoom: "10:02:33 From Yuki Sato to Everyone:"). A bare "10:00 – Ana Lima: soil fungi" is an agenda's line.
_STAMP = (r"(?:\[(?:\d{4}-\d\d-\d\d[ T])?\d{1,2}:\d\d(?::\d\d)?(?:\s*[AaPp]\.?[Mm]\.?)?\]|"
          r"\d{1,2}:\d\d(?::\d\d)?\s*[AaPp]\.?[Mm]\.?|\d{1,2}:\d\d:\d\d)")
_MESSAGE = re.compile(rf"^\s*{_STAMP}\s*(?:From\s+)?(?P<name>[^\W\d_][^:\[\]]{{0,40}}?)"
                      r"(?:\s+to\s+(?:everyone|all|[^:]{1,40}))?\s*:\s+(?P<text>\S.*)$", re.I)
_FIRST_PERSON = [
    (re.compile(r"\bI(?:'|’)m\b|\bI\s+am\b"), "{name} is"),
    (re.compile(r"\bI(?:'|’)ll\b"), "{name} will"),
    (re.compile(r"\bI(?:'|’)ve\b"), "{name} has"),
    (re.compile(r"\bI\b(?!')"), "{name}"),
    (re.compile(r"\b(?:my)\b", re.I), "{name}'s"),
]
MIN_MESSAGES = 3  # fewer timestamped lines are quotes in ordinary notes


def _third_person(text: str, name: str) -> str:
    for pattern, replacement in _FIRST_PERSON:
        text = pattern.sub(replacement.format(name=name), text)
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def chat_to_paragraphs(text: str) -> str:
    """`text` with each chat message a paragraph in the third person, when it holds a chat log."""
    lines = text.split("\n")
    messages = [_MESSAGE.match(line) for line in lines]
    if sum(m is not None for m in messages) < MIN_MESSAGES:
        return text
    out = []
    for line, message in zip(lines, messages):
        out += ["", _third_person(message["text"], message["name"].strip()), ""] if message else [line]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out))
