"""A lab-meeting talk's slides (.pptx: PowerPoint, Keynote's and Google Slides' export) read with
`python-pptx` as the Markdown the rest of the reader knows: the first slide's title is the talk's (the
topic), each later slide's title a heading, its text lines list items by their level, its tables Markdown
tables, its speaker notes paragraphs. A deck is its speaker's: a line of the title slide that is only a
person's name ("Beatriz Oyelaran" under the title) is written as the presenter. Pictures are never read."""

from __future__ import annotations

import io
import re

from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE

from labtune.data.notes.labels import looks_like_name

_CAPITALIZED_NAME = re.compile(r"(?:[A-Z][\w'’.-]*\s+){1,3}[A-Z][\w'’.-]*")
# Words of a title slide's other lines that are not in a person's name (the name test knows the common ones).
_DECK_WORDS = {"club", "journal", "seminar", "series", "colloquium", "workshop", "talk", "thank", "thanks", "you",
               "questions", "introduction", "overview", "outline", "summary", "conclusions", "agenda", "welcome",
               "department", "institute", "university", "school", "college", "center", "centre", "project", "lecture"}


def _shapes(shapes):
    """Every shape of a slide, those inside groups too, top to bottom as they are drawn."""
    for shape in shapes:
        if shape.shape_type == MSO_SHAPE_TYPE.GROUP:
            yield from _shapes(shape.shapes)
        else:
            yield shape


def _table(table) -> list[str]:
    rows = [[" ".join(cell.text.split()).replace("|", "/") for cell in row.cells] for row in table.rows]
    if not rows:
        return []
    lines = ["| " + " | ".join(row) + " |" for row in rows]
    return ["", lines[0], "|" + " --- |" * len(rows[0]), *lines[1:], ""]


def _is_speaker(line: str) -> bool:
    return (bool(_CAPITALIZED_NAME.fullmatch(line)) and looks_like_name(line)
            and not any(word.strip(".").lower() in _DECK_WORDS for word in line.split()))


def _slide(slide, first: bool) -> list[str]:
    """The slide's lines; on the title slide, its first line that is a person's name as the presenter."""
    title = slide.shapes.title
    lines = [("# " if first else "## ") + " ".join(title.text.split()), ""] if title is not None and title.text.strip() else []
    named = False
    for shape in _shapes(slide.shapes):
        if title is not None and shape.shape_id == title.shape_id:
            continue
        if getattr(shape, "has_table", False):
            lines += _table(shape.table)
        elif shape.has_text_frame:
            for paragraph in shape.text_frame.paragraphs:
                text = " ".join(paragraph.text.split())
                if not text:
                    continue
                if first:
                    if not named and _is_speaker(text):
                        text, named = f"Presenter: {text}", True
                    lines += [text, ""]
                else:
                    lines.append("  " * paragraph.level + "- " + text)
    if slide.has_notes_slide:
        notes = slide.notes_slide.notes_text_frame
        if notes is not None and notes.text.strip():
            lines += ["", *(" ".join(p.text.split()) for p in notes.paragraphs if p.text.strip())]
    return lines + [""]


def pptx_to_markdown(data: bytes) -> str:
    """The deck's text as Markdown; any error of a file that is not a presentation propagates."""
    slides = Presentation(io.BytesIO(data)).slides
    return "\n".join(line for number, slide in enumerate(slides) for line in _slide(slide, number == 0))
