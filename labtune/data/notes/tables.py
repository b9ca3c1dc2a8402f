"""Markdown tables in notes: a table of roles (| Role | Who |), a header row of roles with the meeting
in a row (| Date | Speaker | Note taker | Topic |), a table of actions (| Action | Owner | Due |), or any
other table, whose rows are kept as facts ("Site: north inlet; Cores: 4")."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from labtune.data.notes.agendas import table_slots
from labtune.data.notes.labels import DATE, PERSON_ROLES, PRESENTER, TOPIC, label_role

_SEPARATOR_ROW = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")
_TASK_HEADERS = {"action", "actions", "task", "tasks", "item", "items", "what", "todo", "to do", "action item",
                 "action items", "description", "next step", "next steps"}
_OWNER_HEADERS = {"owner", "owners", "who", "responsible", "assigned to", "assignee", "lead", "person", "by whom"}
_DUE_HEADERS = {"due", "due date", "deadline", "by", "when", "by when", "date due", "target date", "target"}


@dataclass
class Table:
    start: int  # line index of the header row
    end: int  # line index after the last row
    header: list[str]
    rows: list[list[str]]


@dataclass
class TableReading:
    fields: list[tuple[str, str, str]] = field(default_factory=list)  # (canonical key, value, label as written)
    dates: list[str] = field(default_factory=list)  # date cells of the meeting's own row
    actions: list[tuple[str, str | None, str | None, str]] = field(default_factory=list)  # task, owner, due, row
    rows: list[str] = field(default_factory=list)  # other rows, as "Header: cell; ..." text
    talks: list[tuple[str, str]] = field(default_factory=list)  # a timed agenda's (speaker, title) per row


def cells(line: str) -> list[str]:
    inner = line.strip()
    inner = inner[1:] if inner.startswith("|") else inner
    inner = inner[:-1] if inner.endswith("|") else inner
    return [re.sub(r"(\*\*|__)", "", c).strip() for c in re.split(r"(?<!\\)\|", inner)]


def is_table_line(line: str) -> bool:
    stripped = line.strip()
    return stripped.startswith("|") and stripped.count("|") >= 2


def find_tables(lines: list[str]) -> list[Table]:
    """Pipe tables: a header row, a separator row (| --- |) and the rows below them."""
    tables, i = [], 0
    while i < len(lines) - 1:
        if is_table_line(lines[i]) and _SEPARATOR_ROW.match(lines[i + 1]):
            end = i + 2
            while end < len(lines) and is_table_line(lines[end]):
                end += 1
            tables.append(Table(i, end, cells(lines[i]), [cells(line) for line in lines[i + 2:end]]))
            i = end
        else:
            i += 1
    return tables


def _header_kind(header: str) -> str | None:
    name = " ".join(re.findall(r"[a-z]+", header.lower()))
    if name in _TASK_HEADERS:
        return "task"
    if name in _OWNER_HEADERS:
        return "owner"
    if name in _DUE_HEADERS:
        return "due"
    return None


def read_table(table: Table, is_name) -> TableReading:
    reading = TableReading()
    kinds = [_header_kind(h) for h in table.header]
    if "task" in kinds and ("owner" in kinds or "due" in kinds):
        for row in table.rows:
            get = {k: row[i] for i, k in enumerate(kinds) if k and i < len(row) and row[i]}
            if get.get("task"):
                reading.actions.append((get["task"], get.get("owner"), get.get("due"), " | ".join(row)))
        return reading

    def roles_of(labels: list[str], values: list[str]) -> list[str | None]:
        return [label_role(label, value, is_name) for label, value in zip(labels, values)]

    # | Role | Who | with one role per row: the first column is labels (the header row may be one too).
    pairs = [r for r in [table.header, *table.rows] if len(r) >= 2]
    first_column = roles_of([r[0] for r in pairs], [r[1] for r in pairs])
    if sum(role is not None for role in first_column[1:]) >= max(1, (len(pairs) - 1) // 2):
        for row, role in zip(pairs, first_column):
            if role and row[1]:
                if role == DATE:
                    reading.dates.append(row[1])
                else:
                    reading.fields.append((role, row[1], row[0]))
            elif row is not table.header:
                reading.rows.append(f"{row[0]}: {row[1]}")
        return reading
    # | Name | Role | with one person per row: "Ana Lima | presenter".
    headers = [h.strip().lower() for h in table.header]
    names = [i for i, h in enumerate(headers) if h in ("name", "names", "who", "person", "member", "people")]
    duties = [i for i, h in enumerate(headers) if h in ("role", "roles", "function", "duty", "job")]
    if names and duties:
        for row in table.rows:
            cell = dict(enumerate(row))
            name, duty = cell.get(names[0], ""), cell.get(duties[0], "")
            role = label_role(duty) if name and duty else None
            if role in PERSON_ROLES:
                reading.fields.append((role, name, duty))
            elif name and duty:
                reading.rows.append(f"{name}: {duty}")
        return reading
    # | Date | Speaker | Note taker | Topic | with the meeting in the one row below.
    header_roles = [label_role(h, table.rows[0][i] if table.rows and i < len(table.rows[0]) else "", is_name)
                    for i, h in enumerate(table.header)]
    if PRESENTER in header_roles and TOPIC not in header_roles:  # Confluence: | Time | Item | Presenter | Notes |
        header_roles = [TOPIC if role is None and re.fullmatch(r"(?:discussion\s+)?(?:item|topic)s?", h.strip(), re.I)
                        else role for h, role in zip(table.header, header_roles)]
    reading.talks = table_slots(header_roles, table.rows, is_name)  # | Time | Speaker | Title |, row by row
    if sum(r is not None for r in header_roles) >= 2 and len(table.rows) == 1:
        for header, role, value in zip(table.header, header_roles, table.rows[0]):
            if role == DATE and value:
                reading.dates.append(value)
            elif role and value:
                reading.fields.append((role, value, header))
            elif len(value.split()) >= 3:  # | ... | Notes | "10 Gb per sample is enough" is what was said
                reading.rows.append(f"{header}: {value}" if header else value)
        return reading
    for row in table.rows:
        reading.rows.append("; ".join(f"{h}: {c}" if h else c for h, c in zip(table.header, row) if c))
    return reading
