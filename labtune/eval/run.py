"""`labtune eval`: evaluate models, print the comparison, write eval.json and a chart."""

from __future__ import annotations

import time
from pathlib import Path

from rich.console import Console

from labtune.errors import LabtuneError
from labtune.eval.compare import ModelRow, compare, general_questions, kinds_of
from labtune.eval.evaluate import Settings
from labtune.eval.questions import load_questions, read_conversations
from labtune.eval.report import comparison_table, general_answers_table, print_wrong, write_chart, write_json
from labtune.eval.scoring import MATCHES

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
             use_cache: bool = True, skip_general: bool = False, console: Console | None = None) -> list[ModelRow]:
    if match not in MATCHES:
        raise LabtuneError(f"unknown --match {match!r}: use one of {', '.join(MATCHES)}")
    if not models:
        raise LabtuneError("give at least one run or model to evaluate")
    console = console or Console()
    settings = settings or Settings()
    questions = load_questions(questions_path)
    conversations = general_set(general, settings.general_samples, skip_general)
    out_dir = Path(out_dir) if out_dir else default_out_dir()
    out_dir.mkdir(parents=True, exist_ok=True)  # before the long part: an unwritable -o fails now
    rows = compare(models, questions, conversations, match, settings, use_cache,
                   log=lambda msg: console.print(f"[dim]{msg}[/]", highlight=False))
    kinds = kinds_of(questions)
    console.print(comparison_table(rows, kinds, match))
    prompts = general_questions(conversations, settings)
    if prompts:
        console.print(general_answers_table(rows, prompts))
    if show_wrong:
        print_wrong(console, rows)
    info = {"questions": str(questions_path), "match": match, "kinds": kinds,
            "general": None if not conversations else str(general or default_general()),
            "general_prompts": prompts, "settings": vars(settings)}
    write_json(out_dir / "eval.json", rows, info)
    write_chart(out_dir / "eval.png", rows, kinds)
    console.print(f"wrote {out_dir / 'eval.json'} and {out_dir / 'eval.png'}")
    return rows
