"""HTML notes (a Google Docs, Confluence, OneNote or wiki page saved as .html, an email sent as HTML only)
read as the Markdown the rest of the reader knows, with `markdownify`: headings stay headings, bold labels
(`<b>Presenter:</b> Ana`) stay labels, tables stay tables, list items stay items; scripts, styles and pictures go."""

from __future__ import annotations

import re

from markdownify import markdownify

HTML_SUFFIXES = (".html", ".htm")
_BLANK_RUNS = re.compile(r"\n{3,}")
# Column declarations (Confluence, LibreOffice) hold no text, and before a table's first row they keep
# markdownify from taking that row as the header.
_COLUMNS = re.compile(r"</?col(?:group)?\b[^>]*>", re.I)


_HEAD = re.compile(r"<head\b.*?</head\s*>", re.I | re.S)  # the page's <title> ("Lab Wiki : ...") is no note


def html_to_markdown(text: str) -> str:
    # Pictures carry no notes, and an inline one is a page of base64.
    # A table with no header cells (Word, most wiki exports) has its first row as the header, as people read it.
    markdown = markdownify(_COLUMNS.sub("", _HEAD.sub("", text)), heading_style="ATX", bullets="-", strip=["img"],
                           table_infer_header=True)
    lines = [line.rstrip() for line in markdown.split("\n")]  # a <br> ends its line with two spaces
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip() + "\n"
