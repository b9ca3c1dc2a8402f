"""Rich Text notes (.rtf: WordPad, TextEdit, older Word) read as their text with `striprtf`: one line per
paragraph, bullets kept as "•", formatting dropped. The bytes are read in the code page the file names
(`\\ansicpg1252`), as its `\\'e4` escapes are."""

from __future__ import annotations

import codecs
import re

from striprtf.striprtf import rtf_to_text

_CODE_PAGE = re.compile(rb"\\ansicpg(\d+)")


def _code_page(data: bytes) -> str:
    named = _CODE_PAGE.search(data[:4096])
    encoding = f"cp{int(named[1])}" if named else "cp1252"
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        return "cp1252"


def rtf_to_plain(data: bytes) -> str:
    """The document's text; a file that is not RTF is an error."""
    if not data.lstrip().startswith(b"{\\rtf"):
        raise ValueError("no {\\rtf header")
    encoding = _code_page(data)
    return rtf_to_text(data.decode(encoding, errors="replace"), encoding=encoding, errors="replace")
