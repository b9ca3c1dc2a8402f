"""Everything the loop asks of the process group, for one process.

A distributed implementation (DDP/FSDP, `labtune/train/distributed/world.py`) provides the same methods;
the loop itself never calls torch.distributed.
"""

from __future__ import annotations

import contextlib

import torch

from labtune.errors import LabtuneError
from labtune.train import checkpoint


def clip_to(params, max_norm: float, total: torch.Tensor) -> None:
    """Scale gradients down to `max_norm` given their total norm; max_norm <= 0 means no clipping.

    clip_grad_norm_ multiplies every gradient by min(1, coefficient) even when that is 1: a full read
    and write of all gradients (~35 ms of a 190-token CPU step on SmolLM2). Same numbers otherwise.
    """
    from torch.nn.utils import clip_grads_with_norm_

    if max_norm > 0 and max_norm / (float(total) + 1e-6) < 1:
        clip_grads_with_norm_(params, max_norm, total)


def pick_device(device: str | None, local_rank: int) -> torch.device:
    """`device` None/"auto": this rank's GPU when there is one, else CPU."""
    if device in (None, "auto"):
        device = "cuda" if torch.cuda.is_available() else "cpu"
    dev = torch.device(device)
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise LabtuneError("--device cuda was asked for but no CUDA GPU is visible")
        dev = torch.device("cuda", local_rank if dev.index is None else dev.index)
        torch.cuda.set_device(dev)
    return dev


class SingleProcess:
    rank = 0
    world_size = 1

    def __init__(self, device: torch.device | None = None):
        self.device = device or pick_device(None, 0)

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def wrap(self, model):
        """Return the model to train (DDP/FSDP wrap it); `unwrap` gives back the plain one."""
        return model

    def unwrap(self, model):
        return model

    def sync_gradients(self, model, sync: bool):
        """Context for one micro-batch's backward; `sync` is True only on the window's last one."""
        return contextlib.nullcontext()

    def sum(self, value: float) -> float:
        """Sum a number over all processes (token counts, losses)."""
        return value

    def clip_grad_norm(self, model, max_norm: float) -> float:
        params = [p for p in model.parameters() if p.grad is not None]
        if not params:
            return 0.0
        from torch.nn.utils import get_total_norm

        total = get_total_norm([p.grad for p in params])
        clip_to(params, max_norm, total)
        return float(total)

    def barrier(self) -> None:
        pass

    def save_checkpoint(self, out, model, optimizer, scheduler, position, keep) -> None:
        checkpoint.save(out, model, optimizer, scheduler, position, keep)

    def load_checkpoint(self, path, model, optimizer, scheduler) -> checkpoint.Position:
        return checkpoint.load(path, model, optimizer, scheduler)

    def model_to_save(self, model):
        """The plain model with its full weights on the main process (gathered under FSDP), else None."""
        return model
