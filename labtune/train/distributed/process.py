"""Process-group plumbing for running one recipe on 1..N processes (torchrun sets the environment).

Everything here is torch.distributed's own machinery; this module only decides *when* to use it:
- `init_world()` reads torchrun's RANK/WORLD_SIZE/LOCAL_RANK and starts gloo (CPU) or nccl (CUDA);
  with no torchrun environment it returns a one-process world and starts nothing.
- `gradient_sync()` skips the gradient reduction inside an accumulation window; the loop syncs on
  the last micro-batch of every window, *including the short last window of an epoch*
  (`batching.accumulation_windows`): the lab's FSDP crash ("size of tensor a must match tensor b")
  was an optimizer step on gradients that were never reduced.
- `world.DistributedWorld` builds on these for `loop.train` (the methods of `world.SingleProcess`).
- `on_main()` runs a step (a save) on rank 0 only and re-raises its error on every rank, so no
  rank waits forever and no rank reports success for a checkpoint that failed.
"""

from __future__ import annotations

import contextlib
import os
import sys
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import torch
import torch.distributed as dist

from labtune.errors import LabtuneError
from labtune.train.world import pick_device

# A rank that dies is noticed by torchrun at once; this only bounds a collective that never completes.
COLLECTIVE_TIMEOUT = timedelta(minutes=30)
# Set by the `--nproc` launcher: ranks write a user error here so the launcher can print it as one line.
ERROR_DIR_ENV = "LABTUNE_DIST_ERROR_DIR"


@dataclass(frozen=True)
class World:
    rank: int = 0
    local_rank: int = 0
    size: int = 1
    device: torch.device = torch.device("cpu")

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def launched_by_torchrun() -> bool:
    return "RANK" in os.environ and "WORLD_SIZE" in os.environ and "MASTER_ADDR" in os.environ


def init_world(device: str | None = None) -> World:
    """Join the process group torchrun prepared (idempotent); a plain `python` run is a world of one."""
    if not launched_by_torchrun():
        return World(device=pick_device(device, 0))
    rank, size = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    dev = pick_device(device, local_rank)
    if not dist.is_initialized():
        backend = "nccl" if dev.type == "cuda" else "gloo"
        # device_id binds the NCCL communicator to this rank's GPU up front (no lazy, mismatched init).
        dist.init_process_group(backend, timeout=COLLECTIVE_TIMEOUT,
                                device_id=dev if dev.type == "cuda" else None)
    return World(rank, local_rank, size, dev)


def shutdown() -> None:
    if dist.is_initialized():
        dist.destroy_process_group()


def leave_worker(code: int = 0) -> None:
    """Destroy the process group and end this torchrun worker now, skipping interpreter teardown.

    Why: FSDP2's DeviceMesh, which DTensor's sharding caches keep alive, holds the ProcessGroup after
    `destroy_process_group()`, so gloo's threads outlive it and die in interpreter teardown. About one
    finished run in 50 then ended in SIGABRT ("terminate called without an active exception") or
    SIGSEGV, and torchrun reported a run that had saved everything as failed (pytorch/pytorch#179291).
    Only for the end of a finished run: every file is closed and renamed into place by then.
    A one-process run (no torchrun) returns normally.
    """
    if not dist.is_initialized():
        return
    shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


@contextlib.contextmanager
def gradient_sync(model, enabled: bool):
    """Forward+backward inside this block reduce gradients across ranks only when `enabled`.

    DDP: `no_sync()` when disabled. FSDP2: `set_requires_gradient_sync` (unsharded gradients accumulate
    locally, one reduce-scatter at the sync step). A one-process model is left alone.
    """
    from torch.distributed.fsdp import FSDPModule
    from torch.nn.parallel import DistributedDataParallel

    if isinstance(model, DistributedDataParallel):
        with contextlib.nullcontext() if enabled else model.no_sync():
            yield
    elif isinstance(model, FSDPModule):
        model.set_requires_gradient_sync(enabled)
        try:
            yield
        finally:
            # Leave the default (sync) in place so code outside the loop never accumulates silently.
            model.set_requires_gradient_sync(True)
    else:
        yield


def sum_across_ranks(value: float | int | torch.Tensor, world: World) -> torch.Tensor:
    """All-reduce SUM of a scalar (e.g. trainable-token count of a window) onto every rank.

    DDP and FSDP *average* gradients over ranks, so a loss normalised by the global token count must
    be multiplied by the world size to give the single-process gradient.
    """
    t = torch.as_tensor(value, dtype=torch.float64).to(world.device).clone()
    if dist.is_initialized():
        dist.all_reduce(t, op=dist.ReduceOp.SUM)
    return t


def on_main(fn, *args, **kwargs):
    """Run `fn` on rank 0; every rank returns together or raises rank 0's error (same message).

    Used for saving: the other ranks must not carry on (or report "saved") if rank 0's write or its
    verification failed, and must not hang in the next collective waiting for a rank that died.
    """
    if not dist.is_initialized():
        return fn(*args, **kwargs)
    result, error = None, None
    if dist.get_rank() == 0:
        try:
            result = fn(*args, **kwargs)
        except Exception as exc:  # re-raised below, on this rank unchanged
            error = exc
    status = [None if error is None else (isinstance(error, LabtuneError), f"{type(error).__name__}: {error}")]
    dist.broadcast_object_list(status, src=0)
    if error is not None:
        raise error
    if status[0] is not None:
        is_user_error, message = status[0]
        raise (LabtuneError if is_user_error else RuntimeError)(f"rank 0 failed: {message}")
    return result


@contextlib.contextmanager
def report_errors():
    """Record a user error for the `--nproc` launcher so it can end with that one line (exit 2).

    torchrun itself ends every other rank when one exits non-zero; this only carries the message.
    """
    try:
        yield
    except LabtuneError as exc:
        error_dir = os.environ.get(ERROR_DIR_ENV)
        if error_dir:
            (Path(error_dir) / f"rank{os.environ.get('RANK', '0')}.txt").write_text(str(exc), encoding="utf-8")
        raise
