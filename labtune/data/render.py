"""`labtune data render`: the exact text each record trains on, in record order."""

from __future__ import annotations

from pathlib import Path

from labtune.data.readers import problems_error, read_file
from labtune.data.templates import ChatTemplate
from labtune.errors import DataError


def render_file(path: str | Path, template: ChatTemplate, format: str | None = None,
                skip_invalid: bool = False) -> tuple[list[dict], list[DataError]]:
    """One `{"index", "id", "text", "trainable"}` per valid record (`trainable`: the learned spans),
    and the problems of the records skipped."""
    result = read_file(path, format, skip_invalid=True)
    if result.problems and not skip_invalid:
        raise problems_error(result.problems)
    out = []
    for conv in result.conversations:
        segments = template.segments(conv)
        out.append({"index": conv.index, "id": conv.id, "text": "".join(s.text for s in segments),
                    "trainable": [s.text for s in segments if s.trainable]})
    return out, result.problems
