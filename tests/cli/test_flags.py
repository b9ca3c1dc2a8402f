"""Every command accepts both spellings of a multi-word flag: `--model_max_length` and `--model-max-length`."""

from __future__ import annotations

import typer
from typer.testing import CliRunner

from labtune.cli import app


def commands(group, path: tuple[str, ...] = ()):
    """(path, command) for every leaf command; typer ships its own copy of click, so duck-typed."""
    if hasattr(group, "commands"):
        for name, command in group.commands.items():
            yield from commands(command, (*path, name))
    else:
        yield path, group


def multi_word_flags(command):
    for param in command.params:
        if param.param_type_name == "option":
            for flag in param.opts + param.secondary_opts:
                if flag.startswith("--") and ("_" in flag[2:] or "-" in flag[2:]):
                    yield flag, param


def test_both_spellings_of_every_multi_word_flag_parse():
    runner = CliRunner()
    tree = list(commands(typer.main.get_command(app)))
    assert len(tree) > 5
    checked = 0
    for path, command in tree:
        for flag, param in multi_word_flags(command):
            other = "--" + (flag[2:].replace("_", "-") if "_" in flag[2:] else flag[2:].replace("-", "_"))
            value = [] if param.is_flag or param.count else ["1"] * param.nargs
            result = runner.invoke(app, [*path, other, *value, "--help"])
            assert result.exit_code == 0, (path, flag, other, result.output[-300:])
            checked += 1
    assert checked > 20
