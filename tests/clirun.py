"""Run `labtune ARGS` in this process, the way the console script does, for the CLI tests."""

from __future__ import annotations

import io
import sys

from labtune import cli


def run_cli(args: list, capsys, monkeypatch, stdin: str | None = None) -> tuple[int, str, str]:
    """Run `labtune ARGS` through `labtune.cli.main` (what the console script calls): (exit code, stdout, stderr)."""
    monkeypatch.setattr(sys, "argv", ["labtune", *map(str, args)])
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = 0
    try:
        cli.main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    out, err = capsys.readouterr()
    return code, out, err
