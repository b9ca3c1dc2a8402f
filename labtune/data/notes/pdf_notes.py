"""PDF notes (minutes exported from Word, a wiki or a notes app) read as the text of their pages with
`pypdf`. The page layout is lost and the lines are kept, which is what labels, items and prose need; a
scanned page has no text to read."""

from __future__ import annotations

import io
import logging

from pypdf import PdfReader

# pypdf logs each repair of a damaged file; what the reader cannot read is reported once, as a skipped file.
logging.getLogger("pypdf").setLevel(logging.ERROR)


def pdf_to_text(data: bytes) -> str:
    """The text of every page; any error of a file that is not a readable PDF propagates."""
    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        reader.decrypt("")  # exported with no password; with one, reading a page fails and says so
    return "\n\n".join(page.extract_text() or "" for page in reader.pages)
