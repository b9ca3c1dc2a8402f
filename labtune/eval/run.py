"""`labtune eval`: evaluate models, print the comparison, write eval.json and a chart."""

from __future__ import annotations

import time
from pathlib import Path

from rich.console import Console

from labtune.errors import LabtuneError
from labtune.eval.books import book_prompts, eval_index, retrieval_hits
from labtune.eval.compare import ModelRow, compare, general_questions, kinds_of
from labtune.eval.evaluate import Settings
from labtune.eval.questions import load_questions, read_conversations
from labtune.eval.report import (comparison_table, general_answers_table, print_wrong, retrieval_table, write_chart,
                                 write_json)
from labtune.eval.scoring import MATCHES
from labtune.retrieval import DEFAULT_K

BUNDLED_GENERAL = Path(__file__).resolve().parents[1] / "data" / "general"


def default_general() -> Path | None:
    """The general chat set shipped with labtune, when this install has one."""
    if BUNDLED_GENERAL.is_dir() and any(p.suffix in (".json", ".jsonl") for p in BUNDLED_GENERAL.iterdir()):
        return BUNDLED_GENERAL
    return None


def general_set(general: Path | None, samples: int, skip: bool):
    """The slice of general chat used to measure forgetting, or [] when skipped."""
    if skip:
        return []
    path = general or default_general()
    if path is None:
        raise LabtuneError("no general chat set bundled with this install: pass --general FILE "
                           "(ShareGPT, OpenAI messages or Alpaca) or --no-general")
    conversations = [c for c in read_conversations(path) if any(m.role == "assistant" for m in c.messages)]
    if not conversations:
        raise LabtuneError(f"{path}: no conversation with an assistant turn")
    return conversations[:samples]


def default_out_dir() -> Path:
    return Path("eval") / time.strftime("%Y%m%d-%H%M%S")


def run_eval(models: list[str], questions_path: Path, general: Path | None = None, match: str = "contains",
             out_dir: Path | None = None, settings: Settings | None = None, show_wrong: bool = False,
             use_cache: bool = True, skip_general: bool = False, console: Console | None = None,
             notes: Path | None = None, closed_book: bool = False, notes_k: int = DEFAULT_K) -> list[ModelRow]:
    """Evaluate `models` on the questions; with a notes index (`notes`, else the first run's own) also
    open-book and with the right note, plus retrieval hit@1/hit@3."""
    if match not in MATCHES:
        raise LabtuneError(f"unknown --match {match!r}: use one of {', '.join(MATCHES)}")
    if not models:
        raise LabtuneError("give at least one run or model to evaluate")
    console = console or Console()
    settings = settings or Settings()
    questions = load_questions(questions_path)
    conversations = general_set(general, settings.general_samples, skip_general)
    index = eval_index(models, notes, closed_book)
    books = book_prompts(questions, index, notes_k) if index is not None else None
    retrieval = retrieval_hits(books, questions) if books is not None else None
    if index is not None:
        console.print(f"[dim]open book: {len(index.notes)} meetings from {index.path or index.notes_dir}, "
                      f"up to {notes_k} chunks a question[/]", highlight=False)
    elif not closed_book:
        console.print("[dim]closed book only: no run has a notes index (pass --notes DIR)[/]")
    out_dir = Path(out_dir) if out_dir else default_out_dir()
    out_dir.mkdir(parents=True, exist_ok=True)  # before the long part: an unwritable -o fails now
    rows = compare(models, questions, conversations, match, settings, use_cache,
                   log=lambda msg: console.print(f"[dim]{msg}[/]", highlight=False), books=books)
    kinds = kinds_of(questions)
    console.print(comparison_table(rows, kinds, match))
    if retrieval and retrieval["questions"]:
        console.print(retrieval_table(retrieval, kinds))
    prompts = general_questions(conversations, settings)
    if prompts:
        console.print(general_answers_table(rows, prompts))
    if show_wrong:
        print_wrong(console, rows)
    info = {"questions": str(questions_path), "match": match, "kinds": kinds,
            "general": None if not conversations else str(general or default_general()),
            "general_prompts": prompts, "settings": vars(settings)}
    if books is not None:
        info["notes"] = {"index": str(index.path or index.notes_dir), "k": notes_k, "retrieval": retrieval,
                         "used": books.used, "right": [sorted(r) if r else None for r in books.right]}
    write_json(out_dir / "eval.json", rows, info)
    write_chart(out_dir / "eval.png", rows, kinds, retrieval if retrieval and retrieval["questions"] else None)
    console.print(f"wrote {out_dir / 'eval.json'} and {out_dir / 'eval.png'}")
    return rows
