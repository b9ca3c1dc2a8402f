"""Named recipes: the YAML files in this folder (`labtune recipes` lists them).

A recipe is configuration, not code: `synthesis` (what Q&A a folder of notes becomes), `general`
(the replay that keeps general answers), `check` (the held-out self-check and early stopping) and
`train` (TrainConfig keys). `labtune learn --recipe` reads all of it; `labtune train --recipe` reads
its `train` section. This module only finds and reads the files; each section is validated by the
layer that uses it.
"""

from __future__ import annotations

from pathlib import Path

from labtune.errors import LabtuneError
from labtune.yamlfile import read_mapping

HERE = Path(__file__).resolve().parent
DEFAULT = "notes"


def names() -> list[str]:
    return sorted(p.stem for p in HERE.glob("*.yaml"))


def recipe_path(name_or_file: str | Path) -> Path:
    """A named recipe ("notes") or a YAML file of one."""
    path = Path(name_or_file)
    if path.suffix.lower() in (".yaml", ".yml") or path.exists():
        if not path.is_file():
            raise LabtuneError(f"{path}: recipe file not found")
        return path
    named = HERE / f"{name_or_file}.yaml"
    if not named.is_file():
        raise LabtuneError(f"no recipe named {str(name_or_file)!r}: the recipes are {', '.join(names())} "
                           "(or give a .yaml file)")
    return named


def read_recipe(name_or_file: str | Path) -> dict:
    return read_mapping(recipe_path(name_or_file), "recipe of sections synthesis, general, check, train")


def describe(name: str) -> str:
    return str(read_recipe(name).get("description", "")).strip()
