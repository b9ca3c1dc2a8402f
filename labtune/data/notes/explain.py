"""What the reader made of a folder, per meeting: the date and where it came from, the roles and topic
and where each was found, the facts, and every file skipped with the reason. `report` is the JSON shape
(`import-notes --json`); `print_report` the text (`import-notes --explain`)."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from labtune.data.notes.note import Note, NotesFolder

_ROLE_ORDER = ("Presenter", "Recorder", "Chair", "Topic", "Attendees", "Apologies")


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def note_report(note: Note, root: Path) -> dict:
    return {
        "path": _relative(note.path, root), "title": note.title,
        "date": note.date.isoformat() if note.date else None, "date_source": note.date_source, "key": note.key,
        "fields": note.fields, "field_sources": note.field_sources, "empty_fields": note.empty_fields,
        "problems": note.problems, "facts": [asdict(fact) for fact in note.facts],
    }


def report(folder: NotesFolder, root: Path) -> dict:
    """The reading as plain data: {"folder", "summary", "notes": [...], "skipped": [{"path", "reason"}]}."""
    files = {note.path for note in folder.notes}
    return {
        "folder": str(root),
        "summary": {"files_read": len(files), "meetings": len(folder.notes), "files_skipped": len(folder.skipped),
                    "fields": dict(Counter(key for note in folder.notes for key in note.fields).most_common()),
                    "facts": dict(Counter(f.kind for note in folder.notes for f in note.facts).most_common())},
        "notes": [note_report(note, root) for note in folder.notes],
        "skipped": [{"path": _relative(path, root), "reason": reason} for path, reason in folder.skipped],
    }


def _fact_line(fact: dict) -> str:
    extra = []
    if fact["owner"]:
        extra.append(f"owner {fact['owner']}")
    if fact["deadline"]:
        plain = fact["deadline"].lower().startswith(("before", "ahead", "asap", "urgently", "eod", "eow", "today",
                                                     "tonight", "tomorrow"))
        extra.append(fact["deadline"] if plain else f"by {fact['deadline']}")
    for key in ("numbers", "instruments", "samples"):
        if fact[key]:
            extra.append(f"{key}: {', '.join(fact[key])}")
    people = [p for p in fact["people"] if p != fact["owner"]]
    if people:
        extra.append(f"people: {', '.join(people)}")
    tail = f"  [dim]({escape('; '.join(extra))})[/]" if extra else ""
    return f"    [cyan]{fact['kind']:<8}[/] {escape(fact['text'])}{tail}"


def print_report(data: dict, console: Console) -> None:
    summary = data["summary"]
    console.print(f"[bold]{escape(data['folder'])}[/]: {summary['meetings']} meeting(s) from {summary['files_read']} "
                  f"file(s), {summary['files_skipped']} file(s) skipped", highlight=False)
    for note in data["notes"]:
        console.print(f"\n[bold]{escape(note['path'])}[/]" + (f"  [dim]{escape(note['title'])}[/]"
                                                                 if note["title"] else ""), highlight=False)
        console.print(f"  {'date':<10} {note['date']}  [dim](from {escape(note['date_source'])})[/]", highlight=False)
        keys = [k for k in _ROLE_ORDER if k in note["fields"]] + [k for k in note["fields"] if k not in _ROLE_ORDER]
        for key in keys:
            console.print(f"  {key.lower():<10} {escape(note['fields'][key])}  "
                          f"[dim]({escape(note['field_sources'].get(key, ''))})[/]", highlight=False)
        missing = [k for k in ("Presenter", "Recorder", "Topic") if k not in note["fields"]]
        if missing:
            console.print(f"  [yellow]not found: {', '.join(m.lower() for m in missing)}[/]", highlight=False)
        for problem in note["problems"]:
            console.print(f"  [yellow]{escape(problem)}[/]", highlight=False)
        kinds = Counter(f["kind"] for f in note["facts"])
        console.print(f"  {'facts':<10} {len(note['facts'])}" + (
            f"  [dim]({', '.join(f'{n} {k}' for k, n in kinds.most_common())})[/]" if kinds else ""), highlight=False)
        for fact in note["facts"]:
            console.print(_fact_line(fact), highlight=False, soft_wrap=True)
    if data["skipped"]:
        console.print("\n[bold]skipped[/]", highlight=False)
        for skip in data["skipped"]:
            console.print(f"  [yellow]{escape(skip['path'])}[/]: {escape(skip['reason'])}", highlight=False)


def print_summary(folder: NotesFolder, kinds: Counter, total: int, out: Path | None, console: Console) -> None:
    """What `import-notes` read and wrote: meetings, skipped files with their reasons, fields, conversations."""
    from rich.table import Table

    from labtune.data.notes.synthesize import KINDS

    files = len({note.path for note in folder.notes})
    console.print(f"read {len(folder.notes)} meetings from {files} files", highlight=False)
    for path, reason in folder.skipped:
        console.print(f"  skipped {escape(str(path))}: {escape(reason)}", style="yellow", highlight=False)
    fields = Table(title="fields found", title_justify="left")
    fields.add_column("key")
    fields.add_column("notes", justify="right")
    for key, count in Counter(key for note in folder.notes for key in note.fields).most_common():
        fields.add_row(key, str(count))
    table = Table(title="Q&A written" if out else "Q&A (not written)", title_justify="left")
    table.add_column("kind")
    table.add_column("count", justify="right")
    for kind in (*KINDS, "mix"):
        if kinds.get(kind):
            table.add_row(kind, str(kinds[kind]))
    table.add_row("conversations", str(total), style="bold")
    console.print(fields)
    console.print(table)
    if out:
        console.print(f"wrote {out}", highlight=False)
