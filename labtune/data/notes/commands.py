"""CLI: `labtune data import-notes DIR -o FILE`. The work is in parse.py, synthesize.py and build_notes_data.

The Q&A it writes has the shape of a recipe's `synthesis` section (the notes recipe by default), the
same data `labtune learn` trains on.
"""

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
from pydantic import ValidationError

from labtune.data.notes.synthesize import KINDS, SynthesisPlan, synthesize
from labtune.errors import LabtuneError


@dataclass
class NotesData:
    folder: NotesFolder
    conversations: list[Conversation]
    kinds: Counter  # Q&A per kind (synthesize.KINDS), "mix": conversations of the mixed-in files

    def field_counts(self) -> Counter:
        return Counter(key for note in self.folder.notes for key in note.fields)


def build_notes_data(folder: Path, options: SynthesisPlan, mix: list[str] | None = None) -> NotesData:
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
    kinds = Table(title="Q&A written", title_justify="left")
    kinds.add_column("kind")
    kinds.add_column("count", justify="right")
    for kind in (*KINDS, "mix"):
        if data.kinds.get(kind):
            kinds.add_row(kind, str(data.kinds[kind]))
    kinds.add_row("conversations", str(len(data.conversations)), style="bold")
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
        recipe: str = typer.Option("notes", "--recipe", help="The recipe (name or YAML file) whose `synthesis` "
                                   "section shapes the Q&A (labtune recipes lists them)."),
    ) -> None:
        """Turn a folder of meeting notes into Q&A conversations about every fact, in a recipe's shape."""
        from labtune.recipes import read_recipe, recipe_path

        section = read_recipe(recipe).get("synthesis") or {}
        try:
            options = SynthesisPlan(**{**section, "seed": seed})
        except (ValidationError, TypeError) as exc:
            detail = exc.errors()[0] if isinstance(exc, ValidationError) else None
            where = ".".join(map(str, detail["loc"])) if detail else "synthesis"
            raise LabtuneError(f"{recipe_path(recipe)}: synthesis.{where}: "
                               f"{detail['msg'] if detail else exc}") from None
        data = build_notes_data(folder, options, mix)
        write_sharegpt(data.conversations, output)
        print_summary(data, output, Console())
