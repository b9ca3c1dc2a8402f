"""What a server may load: safetensors weights only, never pickles (loading a pickle runs code).

Remote code is never enabled either: the loader does not pass `trust_remote_code`, so a model
directory whose config asks for custom classes fails to load instead of running them.
"""

from __future__ import annotations

from pathlib import Path

from labtune.errors import LabtuneError
from labtune.model.resolve import resolve_model
from labtune.model.run_dir import RunDir

PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".pkl", ".ckpt")


def weight_dirs(name: str) -> list[Path]:
    """The directories `labtune.model.load.load(name)` reads weights from."""
    run = RunDir.find(name)
    if run is None:
        return [resolve_model(name)]
    run.require_weights()
    if run.model_dir is not None:
        return [run.model_dir]
    return [run.adapter_dir] + ([resolve_model(run.base_model)] if run.base_model else [])


def check_safetensors_only(name: str) -> None:
    for directory in weight_dirs(name):
        if any(directory.glob("*.safetensors")):
            continue
        pickles = sorted(p.name for p in directory.iterdir() if p.suffix in PICKLE_SUFFIXES)
        if pickles:
            raise LabtuneError(f"{directory}: has only pickle weights ({', '.join(pickles)}); labtune serves "
                               "safetensors only. Convert with `model.save_pretrained(dir)` in a trusted session")
