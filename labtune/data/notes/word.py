"""Word notes (.docx) read as the Markdown the rest of the reader knows: `mammoth` turns the document's
structure (heading styles, bold labels, lists, tables) into HTML, which is read as HTML notes are."""

from __future__ import annotations

import io

import mammoth

from labtune.data.notes.html_notes import html_to_markdown

_NO_PICTURES = mammoth.images.img_element(lambda image: {})  # never read, never inlined as base64
_TITLE_IS_A_HEADING = "p[style-name='Title'] => h1:fresh\np[style-name='Subtitle'] => h2:fresh"


def docx_to_markdown(data: bytes) -> str:
    """The document's text as Markdown; any error of a file that is not a Word document propagates."""
    return html_to_markdown(mammoth.convert_to_html(io.BytesIO(data), convert_image=_NO_PICTURES,
                                                     style_map=_TITLE_IS_A_HEADING).value)
