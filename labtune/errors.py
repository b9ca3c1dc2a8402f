"""User-facing errors: the CLI prints their message on one line and exits with code 2."""

from __future__ import annotations


class LabtuneError(Exception):
    """Bad input or a refused request; never a bug. The message is shown to the user as is."""

    exit_code = 2


def where(file: str | None = None, record: int | None = None, record_id: str | None = None,
          field: str | None = None) -> str:
    """Format a location like `data.json: record 3 (id=abc), field conversations[1].value`."""
    parts = []
    if file is not None:
        parts.append(str(file))
    loc = []
    if record is not None:
        loc.append(f"record {record}" + (f" (id={record_id})" if record_id else ""))
    if field is not None:
        loc.append(f"field {field}")
    if loc:
        parts.append(", ".join(loc))
    return ": ".join(parts)


class DataError(LabtuneError):
    """A problem in one record of one data file."""

    def __init__(self, message: str, file: str | None = None, record: int | None = None,
                 record_id: str | None = None, field: str | None = None):
        self.file, self.record, self.record_id, self.field = file, record, record_id, field
        self.reason = message
        loc = where(file, record, record_id, field)
        super().__init__(f"{loc}: {message}" if loc else message)
