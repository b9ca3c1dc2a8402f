"""Read a YAML file that must hold a mapping (train configs, experiment grids)."""

from __future__ import annotations

from pathlib import Path

import yaml

from labtune.errors import LabtuneError
from labtune.textfile import read_text


def read_mapping(path: Path, what: str) -> dict:
    """The file's mapping; a missing file, bad YAML or another shape is one clear LabtuneError."""
    if not path.is_file():
        raise LabtuneError(f"{path}: {what} not found")
    try:
        loaded = yaml.safe_load(read_text(path)) or {}
    except yaml.YAMLError as exc:
        raise LabtuneError(f"{path}: invalid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(loaded, dict):
        raise LabtuneError(f"{path}: expected a mapping ({what})")
    return loaded
