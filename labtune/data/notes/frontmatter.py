"""YAML front matter (--- key: value --- at the top of a Markdown note), read with PyYAML."""

from __future__ import annotations

import datetime as dt
import re

import yaml

_FRONT = re.compile(r"\A---[ \t]*\n(?P<yaml>.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)


def split_front_matter(text: str) -> tuple[dict[str, str], str, str | None]:
    """(key -> value as text, the rest of the note, a problem to report or None).

    Lists become "a, b, c"; dates become ISO text; nested mappings are left out (no note field is one).
    Text that opens with --- but is no YAML mapping is left to the body (a Markdown rule, not metadata).
    """
    match = _FRONT.match(text)
    if not match:
        return {}, text, None
    try:
        data = yaml.safe_load(match["yaml"])
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 2})" if mark is not None else ""
        return {}, text, f"front matter is not valid YAML{where}; read as text"
    if not isinstance(data, dict):
        return {}, text, None
    out: dict[str, str] = {}
    # One level of nesting is read too ("roles: {presenter: Ana}"); its keys are labels like the others.
    flat = {}
    for key, value in data.items():
        if isinstance(value, dict):
            flat.update({k: v for k, v in value.items() if not isinstance(v, dict)})
        else:
            flat[key] = value
    for key, value in flat.items():
        if isinstance(value, (list, tuple)):
            value = ", ".join(str(v) for v in value if not isinstance(v, (dict, list)))
        elif isinstance(value, dt.datetime):
            value = value.date().isoformat()
        elif isinstance(value, dt.date):
            value = value.isoformat()
        elif isinstance(value, dict) or value is None:
            continue
        out[str(key)] = str(value).strip()
    return out, text[match.end():], None
