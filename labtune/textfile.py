"""Text files people hand to labtune (notes, data, questions, recipes, templates): UTF-8, or UTF-16 or
UTF-32 when the file starts with its byte order mark, as Windows' "Unicode" text does (Notepad, Word,
Excel, PowerShell 5's Out-File). An older single-byte encoding is refused rather than guessed: a guess can
misspell the names the files are about."""

from __future__ import annotations

import codecs
from pathlib import Path

from labtune.errors import LabtuneError

# UTF-32's marks first: they begin with UTF-16's.
_MARKS = ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
          (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16"))


def marked_encoding(data: bytes) -> str | None:
    """"UTF-16" or "UTF-32" when `data` starts with its byte order mark, else None."""
    return next((encoding for mark, encoding in _MARKS if data.startswith(mark)), None)


def decode(data: bytes) -> str:
    """The text of `data`, its byte order mark dropped; UnicodeDecodeError when it is not text in the
    encoding its mark names (UTF-8 when none)."""
    return data.decode((marked_encoding(data) or "utf-8-sig").lower())


def not_text(data: bytes, error: UnicodeDecodeError) -> str:
    """Why `data` could not be decoded, for an error line: "not UTF-8 text (byte 21); save it as UTF-8"."""
    return f"not {marked_encoding(data) or 'UTF-8'} text (byte {error.start}); save it as UTF-8"


def read_text(path: Path) -> str:
    """The text of the file at `path`; a file that cannot be read or decoded is one LabtuneError naming it."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise LabtuneError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    try:
        return decode(data)
    except UnicodeDecodeError as exc:
        raise LabtuneError(f"{path}: {not_text(data, exc)}") from None
