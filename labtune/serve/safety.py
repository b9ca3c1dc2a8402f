"""What a server may load: safetensors weights only, never pickles (loading a pickle runs code).

Remote code is never enabled either: the loader does not pass `trust_remote_code`, so a model
directory whose config asks for custom classes fails to load instead of running them.
"""

from __future__ import annotations

from pathlib import Path

from labtune.errors import LabtuneError
from labtune.model.load import read_run_meta
from labtune.model.resolve import resolve_model

PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".pkl", ".ckpt")


def weight_dirs(name: str) -> list[Path]:
    """The directories `labtune.model.load.load(name)` reads weights from."""
    path = Path(name)
    meta = read_run_meta(path) if path.is_dir() else None
    if meta is None:
        return [resolve_model(name)]
    if (path / "model").is_dir():
        return [path / "model"]
    dirs = [path / "adapter"]
    if meta.get("base_model"):
        dirs.append(resolve_model(meta["base_model"]))
    return dirs


def check_safetensors_only(name: str) -> None:
    for directory in weight_dirs(name):
        if any(directory.glob("*.safetensors")):
            continue
        pickles = sorted(p.name for p in directory.iterdir() if p.suffix in PICKLE_SUFFIXES)
        if pickles:
            raise LabtuneError(f"{directory}: has only pickle weights ({', '.join(pickles)}); labtune serves "
                               "safetensors only. Convert with `model.save_pretrained(dir)` in a trusted session")
