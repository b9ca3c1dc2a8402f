"""Org-mode notes (.org) read as the Markdown the rest of the reader knows: `* Heading` -> `# Heading`,
a property drawer's `:PRESENTER: Ana` -> `PRESENTER: Ana`, `#+TITLE:`/`#+DATE:` -> a title and a Date
label, timestamps `<2024-05-07 Tue>` unbracketed, `TODO`/`DONE` items -> checkboxes. Line by line, so a
note's lines keep their order and count; the rest of Org (tables, links, blocks) is left as written.
"""

from __future__ import annotations

import re

_HEADING = re.compile(r"^(\*+)\s+(?:(TODO|DONE)\s+)?(.*)$")
_DRAWER_EDGE = re.compile(r"^\s*:(?:PROPERTIES|END|LOGBOOK):\s*$", re.I)
_PROPERTY = re.compile(r"^\s*:([A-Za-z][\w-]*):\s+(.*\S)\s*$")
_KEYWORD = re.compile(r"^\s*#\+(\w+):\s*(.*)$")
_TIMESTAMP = re.compile(r"[<\[](\d{4}-\d{2}-\d{2}(?: [A-Za-z]{2,3})?)(?: \d{1,2}:\d{2}(?:-\d{1,2}:\d{2})?)?[>\]]")
_ITEM_STATE = re.compile(r"^(\s*[-+]\s+)(TODO|DONE)\s+")


def org_to_markdown(text: str) -> str:
    out = []
    for line in text.split("\n"):
        line = _TIMESTAMP.sub(r"\1", line)
        if _DRAWER_EDGE.match(line):
            out.append("")
            continue
        if heading := _HEADING.match(line):
            stars, state, title = heading.groups()
            out.append(f"{'#' * min(len(stars), 6)} {title}" if not state else
                       f"- [{'x' if state == 'DONE' else ' '}] {title}")  # a TODO heading is a task
            continue
        if keyword := _KEYWORD.match(line):
            key, value = keyword[1].lower(), keyword[2].strip()
            out.append(f"# {value}" if key == "title" and value else
                       f"Date: {value}" if key == "date" and value else "")
            continue
        if prop := _PROPERTY.match(line):
            out.append(f"{prop[1].replace('_', ' ').capitalize()}: {prop[2]}")
            continue
        out.append(_ITEM_STATE.sub(lambda m: f"{m[1]}[{'x' if m[2] == 'DONE' else ' '}] ", line))
    return "\n".join(out)
