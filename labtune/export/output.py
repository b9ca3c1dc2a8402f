"""Nothing half-written: every export is built under a temporary name beside its destination and
renamed into place only once complete; on any failure the temporary is removed."""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path
from typing import Iterator

from labtune.errors import LabtuneError


def check_destination(out: Path, force: bool) -> None:
    """Refuse to replace an existing file or directory unless asked to."""
    if out.exists() and not force:
        raise LabtuneError(f"{out}: already exists; choose another -o or pass --force to replace it")
    if not out.parent.is_dir():
        raise LabtuneError(f"{out.parent}: output folder does not exist")


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink()


@contextlib.contextmanager
def staged(out: Path, force: bool = False, directory: bool = True) -> Iterator[Path]:
    """Yield a temporary path to write `out` into; rename it to `out` when the block succeeds."""
    out = Path(out)
    check_destination(out, force)
    tmp = out.with_name(f".{out.name}.tmp{os.getpid()}")
    _remove(tmp)
    if directory:
        tmp.mkdir()
    try:
        yield tmp
    except BaseException:
        _remove(tmp)
        raise
    if out.exists():
        _remove(out)
    os.replace(tmp, out)
