"""The `labtune` command. Thin: each area registers its own commands; no logic lives here."""

from __future__ import annotations

import importlib
import os
import sys

import typer
from rich.console import Console
from rich.markup import escape

from labtune.errors import LabtuneError

def same_flag(name: str) -> str:
    """`--model-max-length` and `--model_max_length` are one flag: HF/FastChat users type underscores,
    everyone else dashes, and every command (and every sub-command, through click's context) accepts both."""
    return name.replace("-", "_")


app = typer.Typer(
    name="labtune",
    context_settings={"token_normalize_func": same_flag},
    help="Turn your notes and chat data into a chat assistant you run yourself.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
data_app = typer.Typer(help="Read, check, convert and render training data.", no_args_is_help=True)
app.add_typer(data_app, name="data")

# Each module has `register(app, data_app)` adding its commands. Missing modules are skipped so a
# partial install still gives a working CLI for the rest.
COMMAND_MODULES = [
    "labtune.cli.data",  # data check / convert / render
    "labtune.cli.notes",  # data import-notes
    "labtune.cli.train",  # train, bench train
    "labtune.cli.retrieval",  # index
    "labtune.cli.eval",  # eval
    "labtune.cli.experiment",  # experiment
    "labtune.cli.serve",  # chat, serve
    "labtune.cli.export",  # export, import-llama, import-delta
    "labtune.cli.arena",  # models, arena, leaderboard
    "labtune.cli.learn",  # learn, demo, recipes
]

for _name in COMMAND_MODULES:
    try:
        _module = importlib.import_module(_name)
    except ModuleNotFoundError as exc:
        if exc.name is None or not _name.startswith(exc.name):
            raise
        continue
    _module.register(app, data_app)


def entry() -> None:
    """The program (`labtune`, `python -m labtune`): a training command first moves onto tcmalloc.

    Apart from `main()` because re-executing replaces the process: never from a caller's process.
    """
    main(reexec=True)


def main(reexec: bool = False) -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
    try:
        if reexec:
            from labtune.train.cpu.allocator import reexec_on_tcmalloc  # no torch: cheap for every command

            reexec_on_tcmalloc(sys.argv[1:])  # training commands only; returns when nothing is to be done
        app()
    except LabtuneError as exc:
        # escaped: a message quotes file names and values, and "[draft]" there is text, not a console style
        Console(stderr=True).print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        Console(stderr=True).print("interrupted")
        sys.exit(130)
