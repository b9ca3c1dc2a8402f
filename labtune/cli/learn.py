"""`labtune learn`, `labtune demo` and `labtune recipes`: parse, then call labtune.learn."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from labtune.errors import LabtuneError


def learn(
    notes: Annotated[Optional[Path], typer.Argument(help="Folder of meeting notes (text, Markdown, email, HTML, "
                                                    "Word, PDF, slides, spreadsheets; read recursively).",
                                                    show_default=False)] = None,
    output: Annotated[Optional[Path], typer.Option("-o", "--output", help="Run directory to write (replaced if "
                                                   "it holds an earlier run).", show_default=False)] = None,
    model: Annotated[str, typer.Option("--model", "-m", help="Base model to tune.")] = "smollm2-135m",
    questions: Annotated[Optional[Path], typer.Option(help="JSONL of {question, answers, kind?} (or a .csv/.tsv "
                                                      "with those columns) asked before and after tuning.",
                                                      show_default=False)] = None,
    seed: Annotated[int, typer.Option(help="Same notes + same seed = same data and training.")] = 0,
    recipe: Annotated[Optional[str], typer.Option(help="A recipe name (labtune recipes) or a YAML file merged over "
                                                  "the notes recipe.", show_default=False)] = None,
    show_recipe: Annotated[bool, typer.Option("--show-recipe", "--show_recipe",
                                              help="Print the recipe with each key's meaning and exit.")] = False,
    max_steps: Annotated[int, typer.Option("--max_steps", "--max-steps", hidden=True,
                                           help="Stop training after this many steps (tests).")] = -1,
) -> None:
    """Tune a model on a folder of meeting notes and report what it learned and kept (the main job)."""
    from labtune.learn import learn as run_learn
    from labtune.learn import load_recipe, recipe_yaml

    loaded = load_recipe(recipe)
    if show_recipe:
        typer.echo(recipe_yaml(loaded), nl=False)
        return
    if notes is None or output is None:
        raise LabtuneError("give the notes folder and -o RUN_DIR: labtune learn NOTES_DIR -o runs/NAME")
    from rich.console import Console

    from labtune.learn.report import print_report

    console = Console()
    learned = run_learn(notes, output, model=model, questions_file=questions, seed=seed, recipe=loaded,
                        console=console, max_steps=max_steps)
    print_report(learned.report, console)


def demo(
    output: Annotated[Path, typer.Option("-o", "--output", help="Run directory for the tuned model.")] = Path("runs/demo"),
    seed: Annotated[int, typer.Option(help="Same seed = same data and training.")] = 0,
    recipe: Annotated[Optional[str], typer.Option(help="A recipe name or YAML file merged over the notes recipe.",
                                                  show_default=False)] = None,
    model: Annotated[str, typer.Option("--model", "-m", help="Base model to tune.")] = "smollm2-135m",
    max_steps: Annotated[int, typer.Option("--max_steps", "--max-steps", hidden=True,
                                           help="Stop training after this many steps (tests).")] = -1,
) -> None:
    """`labtune learn` on the bundled sample notes and questions, ending with the lab's own question (make demo)."""
    from rich.console import Console

    from labtune.learn import learn as run_learn
    from labtune.learn.report import print_report
    from labtune.samples import LABNOTES, LABNOTES_QUESTIONS

    console = Console()
    learned = run_learn(LABNOTES, output, model=model, questions_file=LABNOTES_QUESTIONS, seed=seed, recipe=recipe,
                        console=console, max_steps=max_steps)
    print_report(learned.report, console, last_question=True)


def recipes() -> None:
    """List the named recipes (labtune learn --recipe NAME, labtune train --recipe NAME)."""
    from labtune.recipes import describe, names, recipe_path

    for name in names():
        typer.echo(f"{name}  ({recipe_path(name)})\n  {describe(name)}")


def register(app: typer.Typer, data_app: typer.Typer) -> None:
    app.command("learn")(learn)
    app.command("demo")(demo)
    app.command("recipes")(recipes)
