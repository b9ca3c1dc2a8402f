"""CLI: `labtune data import-notes DIR -o FILE`. The work is in parse.py, synthesize.py and build_notes_data."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from labtune.data.conversation import Conversation
from labtune.data.notes.parse import NotesFolder, read_notes
from labtune.data.notes.synthesize import ANSWER_DATES, KINDS, SynthesisOptions, synthesize
from labtune.errors import LabtuneError


@dataclass
class NotesData:
    folder: NotesFolder
    conversations: list[Conversation]
    kinds: Counter  # conversations per kind, "mix" for the mixed-in files

    def field_counts(self) -> Counter:
        return Counter(key for note in self.folder.notes for key in note.fields)


def build_notes_data(folder: Path, options: SynthesisOptions, mix: list[str] | None = None) -> NotesData:
    """Read the notes, synthesize conversations and append the `--mix FILE:WEIGHT` data."""
    notes = read_notes(folder)
    if not notes.notes:
        undecodable = f" ({len(notes.undecodable)} could not be decoded as UTF-8)" if notes.undecodable else ""
        raise LabtuneError(f"{folder}: no .md or .txt notes found{undecodable}")
    made = synthesize(notes.notes, options)
    convs, kinds = list(made.conversations), Counter(made.kinds)
    if mix:
        from labtune.data.dataset import load_dataset

        # Same weight rules as `labtune train --data FILE:WEIGHT` (fraction < 1, repeats >= 1).
        mixed = load_dataset(mix, seed=options.seed).train
        convs += mixed
        kinds["mix"] = len(mixed)
    return NotesData(notes, convs, kinds)


def write_sharegpt(conversations: list[Conversation], out: Path) -> None:
    """ShareGPT/Vicuna JSON, written to a temp file and renamed."""
    from labtune.data.convert import to_sharegpt, write_atomic

    records = []
    for i, conv in enumerate(conversations):
        record = to_sharegpt(conv)
        record.setdefault("id", f"mix-{i}")
        records.append(record)
    write_atomic(out, json.dumps(records, ensure_ascii=False, indent=1) + "\n")


def print_summary(data: NotesData, out: Path, console: Console) -> None:
    folder = data.folder
    dated = sum(1 for n in folder.notes if n.date)
    console.print(f"read {len(folder.notes)} notes ({dated} with a date)", highlight=False)
    for path in folder.undecodable:
        console.print(f"  skipped {path}: not UTF-8 text", style="yellow", highlight=False)
    for note in folder.notes:
        if note.date is None:
            console.print(f"  {note.path}: no date found in the title, first lines or file name; "
                          "questions name it by its title", style="yellow", highlight=False)
    fields = Table(title="fields found", title_justify="left")
    fields.add_column("key")
    fields.add_column("notes", justify="right")
    for key, count in data.field_counts().most_common():
        fields.add_row(key, str(count))
    kinds = Table(title="conversations written", title_justify="left")
    kinds.add_column("kind")
    kinds.add_column("count", justify="right")
    for kind in (*KINDS, "mix"):
        if data.kinds.get(kind):
            kinds.add_row(kind, str(data.kinds[kind]))
    kinds.add_row("total", str(len(data.conversations)), style="bold")
    console.print(fields)
    console.print(kinds)
    console.print(f"wrote {out}", highlight=False)


def register(app: typer.Typer, data_app: typer.Typer) -> None:
    @data_app.command("import-notes")
    def import_notes(
        folder: Path = typer.Argument(..., help="Folder of .md/.txt meeting notes (read recursively)."),
        output: Path = typer.Option(..., "-o", "--output", help="ShareGPT/Vicuna JSON file to write."),
        seed: int = typer.Option(0, "--seed", help="Same notes + same seed = same output."),
        mix: Optional[list[str]] = typer.Option(None, "--mix", help="FILE[:WEIGHT] of general chat data to "
                                                "add (weight < 1 keeps that fraction, >= 1 repeats); repeatable."),
        questions_per_field: int = typer.Option(6, "--questions-per-field", min=1,
                                                help="Question phrasings x date spellings per field of a note."),
        summaries: int = typer.Option(2, "--summaries", min=0, help="'What happened at ...' answers per note."),
        statements: int = typer.Option(0, "--statements", min=0,
                                       help="Per field: a prompt naming no meeting -> the field's answer sentence."),
        original: bool = typer.Option(True, "--original/--no-original",
                                      help="Include the lab's own form: 'Lab meeting on DATE' -> the note."),
        structure: bool = typer.Option(True, "--structure/--no-structure",
                                       help="Include outline, questions and action-item questions."),
        cross: bool = typer.Option(True, "--cross/--no-cross",
                                   help="Include questions across notes (when did X present, per month)."),
        answer_date: str = typer.Option("long", "--answer-date",
                                        help="How answers write the meeting date: long (April 14, 2023), slash, "
                                             "iso, day, or question (as the question spelled it)."),
        lead_with_topic: bool = typer.Option(True, "--lead-with-topic/--no-lead-with-topic",
                                             help="Answers about a note open with its topic: 'The lab meeting on "
                                                  "DATE was about TOPIC, and the recorder was NAME.'"),
    ) -> None:
        """Turn a folder of meeting notes into conversations: the notes, synthesized Q&A, and cross-note questions."""
        if answer_date not in ANSWER_DATES:
            raise LabtuneError(f"option --answer-date: {answer_date!r} is not one of {', '.join(ANSWER_DATES)}")
        options = SynthesisOptions(seed=seed, questions_per_field=questions_per_field, summary=summaries,
                                   statements=statements, original=original, structure=structure, cross=cross,
                                   answer_date=answer_date, lead_with_topic=lead_with_topic)
        data = build_notes_data(folder, options, mix)
        write_sharegpt(data.conversations, output)
        print_summary(data, output, Console())
