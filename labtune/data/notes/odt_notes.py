"""OpenDocument notes (.odt: LibreOffice, and what Google Docs and OnlyOffice export) read as the Markdown
the rest of the reader knows: `odfpy` writes the document's headings, lists and tables as XHTML, which is
read as HTML notes are. Pictures are never read."""

from __future__ import annotations

import io

from odf.odf2xhtml import ODF2XHTML

from labtune.data.notes.html_notes import html_to_markdown


def odt_to_markdown(data: bytes) -> str:
    """The document's text as Markdown; any error of a file that is not an OpenDocument text propagates."""
    return html_to_markdown(ODF2XHTML(generate_css=False, embedable=True).odf2xhtml(io.BytesIO(data)))
