"""The `labtune` command. Thin: each area registers its own commands; no logic lives here."""

from __future__ import annotations

import importlib
import os
import sys

import typer
from rich.console import Console

from labtune.errors import LabtuneError

app = typer.Typer(
    name="labtune",
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
    "labtune.data.commands",  # data check / convert / render
    "labtune.data.notes.commands",  # data import-notes
    "labtune.train.commands",  # train, bench train
    "labtune.eval.commands",  # eval, experiment
    "labtune.serve.commands",  # chat, serve
    "labtune.cli.arena",  # models, arena, leaderboard
    "labtune.demo",  # demo
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
            from labtune.train.allocator import reexec_on_tcmalloc  # no torch: cheap for every command

            reexec_on_tcmalloc(sys.argv[1:])  # training commands only; returns when nothing is to be done
        app()
    except LabtuneError as exc:
        Console(stderr=True).print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        Console(stderr=True).print("interrupted")
        sys.exit(130)
