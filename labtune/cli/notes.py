"""`labtune data import-notes DIR -o FILE [--explain] [--json]`: parses options and calls the notes library."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from labtune.errors import LabtuneError


def register(app: typer.Typer, data_app: typer.Typer) -> None:
    @data_app.command("import-notes")
    def import_notes(
        folder: Path = typer.Argument(..., help="Folder of meeting notes (text, Markdown, email, HTML, Word, "
                                                "LibreOffice, RTF, PDF, CSV schedules; read recursively)."),
        output: Optional[Path] = typer.Option(None, "-o", "--output",
                                              help="ShareGPT/Vicuna JSON file to write (optional with --explain "
                                                   "or --json, which only show the reading)."),
        explain: bool = typer.Option(False, "--explain", help="Show, per meeting, the date and where it came from, "
                                     "the roles and topic found, the facts, and every file skipped with why."),
        as_json: bool = typer.Option(False, "--json", help="Print the reading as JSON (for scripts) on stdout."),
        seed: int = typer.Option(0, "--seed", help="Same notes + same seed = same output."),
        mix: Optional[list[str]] = typer.Option(None, "--mix", help="FILE[:WEIGHT] of general chat data to "
                                                "add (weight < 1 keeps that fraction, >= 1 repeats); repeatable."),
        recipe: str = typer.Option("notes", "--recipe", help="The recipe (name or YAML file) whose `synthesis` "
                                   "section shapes the Q&A (labtune recipes lists them)."),
    ) -> None:
        """Turn a folder of meeting notes into Q&A conversations about every fact, in a recipe's shape (the
        data `labtune learn` trains on)."""
        from labtune.data.notes.build import build_notes_data, require_notes, write_sharegpt
        from labtune.data.notes.explain import print_report, print_summary, report
        from labtune.data.notes.parse import read_notes
        from labtune.learn.recipe import load_recipe

        if output is None and not (explain or as_json):
            raise LabtuneError("option -o/--output is required (or --explain / --json to only show the reading)")
        notes = read_notes(folder)
        if explain or as_json:
            reading = report(notes, folder)
            if as_json:
                sys.stdout.write(json.dumps(reading, ensure_ascii=False, indent=1) + "\n")
            else:
                print_report(reading, Console(soft_wrap=True))
            require_notes(notes, folder)
            if output is None:
                return
        options = load_recipe(recipe).with_seed(seed).synthesis
        data = build_notes_data(folder, options, mix, notes=notes)
        write_sharegpt(data.conversations, output)
        # With --json, stdout is the JSON alone: the summary goes to stderr.
        print_summary(notes, data.kinds, len(data.conversations), output, Console(stderr=as_json))
