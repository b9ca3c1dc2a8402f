"""Atomic, rotating, exactly-resumable checkpoints.

`checkpoint-STEP/` holds the trainable weights (safetensors), optimizer and scheduler state, every
RNG state and the data position. It is written to a temp dir, checked, then renamed: a save that
dies half-way leaves only a `.tmp` dir that is ignored and cleaned up, never a broken latest.
"""

from __future__ import annotations

import json
import os
import pickle
import random
import re
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from labtune.errors import LabtuneError

PREFIX = "checkpoint-"
WEIGHTS = "trainable.safetensors"
STATE = "trainer_state.json"
_NAME = re.compile(rf"^{PREFIX}(\d+)$")


@dataclass
class Position:
    """Where training is: optimizer steps done, and the epoch / accumulation window to start next."""

    step: int = 0
    epoch: int = 0
    window: int = 0  # windows of this epoch already done
    tokens: int = 0
    trainable_tokens: int = 0
    elapsed_s: float = 0.0
    world_size: int = 1  # processes that wrote it: `window` counts steps of a world of that size


def trainable_state(model) -> dict[str, torch.Tensor]:
    """The weights that training changes (all of them for full fine-tuning, the adapter for LoRA).

    Under torchrun, `distributed.world.DistributedWorld` gathers them on rank 0 and passes them to `save` instead.
    """
    return {name: p.detach().cpu().contiguous() for name, p in model.named_parameters() if p.requires_grad}


def load_trainable_state(model, state: dict[str, torch.Tensor]) -> None:
    params = dict(model.named_parameters())
    missing = [n for n, p in params.items() if p.requires_grad and n not in state]
    if missing:
        raise RuntimeError(f"checkpoint lacks {len(missing)} trainable tensors, e.g. {missing[0]}")
    with torch.no_grad():
        for name, tensor in state.items():
            params[name].copy_(tensor)


def rng_state() -> dict:
    state = {"python": random.getstate(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    random.setstate(state["python"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def list_checkpoints(out: Path) -> list[Path]:
    """Complete checkpoints, oldest first (temp dirs of interrupted saves are not checkpoints)."""
    if not out.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in out.iterdir() if (m := _NAME.match(p.name)) and (p / STATE).is_file()]
    return [p for _, p in sorted(found)]


def latest(out: Path) -> Path | None:
    checkpoints = list_checkpoints(out)
    return checkpoints[-1] if checkpoints else None


def save(out: Path, model, optimizer, scheduler, position: Position, keep: int | None = None,
         weights: dict | None = None, optimizer_state: dict | None = None) -> Path:
    """`weights`/`optimizer_state`: given when a distributed world gathered them; default: this process's."""
    final = out / f"{PREFIX}{position.step}"
    tmp = out / f"{final.name}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    save_file(trainable_state(model) if weights is None else weights, tmp / WEIGHTS)
    optimizer_state = optimizer.state_dict() if optimizer_state is None else optimizer_state
    torch.save({"optimizer": optimizer_state, "scheduler": scheduler.state_dict(), "rng": rng_state()},
               tmp / "optimizer.pt")
    # The state file is written last: its presence marks the checkpoint complete.
    (tmp / STATE).write_text(json.dumps(asdict(position), indent=1), encoding="utf-8")
    _fsync_dir(tmp)
    if final.exists():  # re-saving the same step (e.g. the end of a run that was already saved)
        shutil.rmtree(final)
    os.replace(tmp, final)
    _fsync_dir(out)
    rotate(out, keep)
    return final


def load(path: Path, model, optimizer, scheduler, restore=None) -> Position:
    """`restore(weights, optimizer_state)` puts them into the model/optimizer (a distributed world scatters)."""
    weights = load_file(path / WEIGHTS)
    # weights_only=True: tensors and plain containers only. A checkpoint from someone else's run
    # directory cannot run code here (a full unpickler would import and call whatever it names).
    try:
        extra = torch.load(path / "optimizer.pt", weights_only=True)
    except pickle.UnpicklingError:
        raise LabtuneError(f"{path / 'optimizer.pt'}: holds objects other than tensors and plain data; not loaded "
                           "(unpickling them could run code). Resume only from checkpoints labtune wrote") from None
    if restore is None:
        if keyed_by_name(extra["optimizer"]):
            raise LabtuneError(f"{path}: this checkpoint was written under torchrun; resume it with the same "
                               "number of processes (--nproc)")
        load_trainable_state(model, weights)
        optimizer.load_state_dict(extra["optimizer"])
    else:
        restore(weights, extra["optimizer"])
    scheduler.load_state_dict(extra["scheduler"])
    set_rng_state(extra["rng"])
    return Position(**json.loads((path / STATE).read_text(encoding="utf-8")))


def keyed_by_name(optimizer_state: dict) -> bool:
    """Distributed checkpoints key optimizer state by parameter name, one process by index."""
    return isinstance(next(iter(optimizer_state.get("state", {})), None), str)


def rotate(out: Path, keep: int | None) -> None:
    if keep is None:
        return
    for old in list_checkpoints(out)[:-keep]:
        shutil.rmtree(old, ignore_errors=True)


def clean_temp(out: Path) -> None:
    """Remove what interrupted saves left behind."""
    if out.is_dir():
        for tmp in out.glob(f"{PREFIX}*.tmp"):
            shutil.rmtree(tmp, ignore_errors=True)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
