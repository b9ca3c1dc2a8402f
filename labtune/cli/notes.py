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
        folder: Path = typer.Argument(..., help="Folder of meeting notes (.md, .txt, .eml; read recursively)."),
        output: Optional[Path] = typer.Option(None, "-o", "--output",
                                              help="ShareGPT/Vicuna JSON file to write (optional with --explain "
                                                   "or --json, which only show the reading)."),
        explain: bool = typer.Option(False, "--explain", help="Show, per meeting, the date and where it came from, "
                                     "the roles and topic found, the facts, and every file skipped with why."),
        as_json: bool = typer.Option(False, "--json", help="Print the reading as JSON (for scripts) on stdout."),
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
        from labtune.data.notes.build import build_notes_data, require_notes, write_sharegpt
        from labtune.data.notes.explain import print_report, print_summary, report
        from labtune.data.notes.parse import read_notes
        from labtune.data.notes.synthesize import ANSWER_DATES, SynthesisOptions

        if answer_date not in ANSWER_DATES:
            raise LabtuneError(f"option --answer-date: {answer_date!r} is not one of {', '.join(ANSWER_DATES)}")
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
        options = SynthesisOptions(seed=seed, questions_per_field=questions_per_field, summary=summaries,
                                   statements=statements, original=original, structure=structure, cross=cross,
                                   answer_date=answer_date, lead_with_topic=lead_with_topic)
        data = build_notes_data(folder, options, mix, notes=notes)
        write_sharegpt(data.conversations, output)
        # With --json, stdout is the JSON alone: the summary goes to stderr.
        print_summary(notes, data.kinds, len(data.conversations), output, Console(stderr=as_json))
