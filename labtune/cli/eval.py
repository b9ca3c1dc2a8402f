"""CLI: `labtune eval`. Parsing only; the work is in run.py."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def register(app: typer.Typer, data_app: typer.Typer) -> None:
    @app.command("eval")
    def eval_command(
        models: list[str] = typer.Argument(..., help="Run directories or models (alias, HF dir, .gguf)."),
        questions: Path = typer.Option(..., "--questions", "-q", help="JSONL {question, answers, kind?}, a .csv/.tsv with those columns, or ShareGPT."),
        match: str = typer.Option("contains", help="exact | contains | f1 (all case/accent/punctuation-insensitive)."),
        general: Optional[Path] = typer.Option(None, help="General chat set for forgetting (default: bundled)."),
        no_general: bool = typer.Option(False, "--no-general", help="Skip the forgetting measurement."),
        out: Optional[Path] = typer.Option(None, "-o", "--out", help="Output directory (default eval/<timestamp>)."),
        show_wrong: bool = typer.Option(False, "--show-wrong", help="Print every missed question."),
        max_new_tokens: int = typer.Option(64, help="Longest answer generated."),
        batch_size: int = typer.Option(32, help="Prompts generated together (perplexity: at most 4 rows)."),
        general_samples: int = typer.Option(32, help="General conversations scored for perplexity."),
        general_questions: int = typer.Option(5, help="General prompts answered side by side."),
        max_length: int = typer.Option(512, help="Tokens kept per general conversation."),
        no_cache: bool = typer.Option(False, "--no-cache", help="Re-evaluate even when a cached result exists."),
        notes: Optional[Path] = typer.Option(None, help="Also answer open-book from these notes (a folder or an "
                                             "index); default: the first run's own index."),
        closed_book: bool = typer.Option(False, "--closed-book",
                                         help="Closed book only, even when a run has an index."),
        notes_k: int = typer.Option(3, "--notes-k", "--notes_k", min=1, help="Most note chunks put before a question."),
    ) -> None:
        """Knowledge accuracy and forgetting of one or more runs, next to their base model.

        With a notes index: closed-book, open-book and right-note accuracy for each, and retrieval hit@1/hit@3.
        """
        from labtune.eval.evaluate import Settings
        from labtune.eval.run import run_eval

        settings = Settings(max_new_tokens, batch_size, general_samples, general_questions, max_length)
        run_eval(models, questions, general, match, out, settings, show_wrong, not no_cache, no_general,
                 notes=notes, closed_book=closed_book, notes_k=notes_k)

