"""Gather and restore full (unsharded) model and optimizer state, the same way for DDP and FSDP.

torch.distributed.checkpoint.state_dict does the work. Saving gathers layer by layer straight into
CPU memory on rank 0 (`full_state_dict=True, cpu_offload=True`): the GPU never holds the whole model,
which is how the lab's "CUDA OOM while saving the FSDP state dict" is avoided; the other ranks get
an empty dict. Loading takes rank 0's full dict and broadcasts it into each rank's shards. Optimizer
state is keyed by parameter *name*, the same for DDP and FSDP. Every function that takes a model is
a collective: all ranks of the process group call it.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import replace
from pathlib import Path

import torch
from torch import nn
from torch.distributed.checkpoint.state_dict import (
    StateDictOptions,
    get_model_state_dict,
    get_optimizer_state_dict,
    set_model_state_dict,
    set_optimizer_state_dict,
)

from labtune.errors import LabtuneError

GATHER = StateDictOptions(full_state_dict=True, cpu_offload=True)
SCATTER = StateDictOptions(full_state_dict=True, broadcast_from_rank0=True)


def gather_model_state(model: nn.Module, trainable_only: bool = False) -> dict[str, torch.Tensor]:
    """Full state dict on CPU on rank 0 ({} elsewhere). Collective: every rank must call it.

    `trainable_only` skips frozen weights (a LoRA base model) so only the adapter travels.
    """
    return get_model_state_dict(model, options=replace(GATHER, ignore_frozen_params=trainable_only))


def gather_optimizer_state(model: nn.Module, optimizer: torch.optim.Optimizer) -> dict:
    """Full optimizer state keyed by parameter name, on CPU on rank 0 ({} elsewhere). Collective."""
    return get_optimizer_state_dict(model, optimizer, options=GATHER)


def load_model_state(model: nn.Module, state: dict | None, strict: bool = True) -> None:
    """Load a full state dict that rank 0 holds (others pass None/{}) into the wrapped model. Collective."""
    # set_model_state_dict replaces the dict's entries with this rank's shards: give it a copy.
    set_model_state_dict(model, dict(state or {}), options=replace(SCATTER, strict=strict))


def load_optimizer_state(model: nn.Module, optimizer: torch.optim.Optimizer, state: dict | None) -> None:
    """Counterpart of `gather_optimizer_state`; rank 0 passes the dict (consumed), others None. Collective."""
    set_optimizer_state_dict(model, optimizer, state or {}, options=SCATTER)


def write_verified(out: Path, write, verify) -> Path:
    """`write(tmp)` into a sibling temp dir, `verify(tmp)`, then rename onto `out` (rank 0's job).

    A crash or a failed check leaves `out` as it was (the previous checkpoint, or nothing), never a
    half-written directory that looks finished.
    """
    out = Path(out)
    tmp = out.with_name(f".{out.name}.tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.parent.mkdir(parents=True, exist_ok=True)
    try:
        write(tmp)
        verify(tmp)
    except Exception:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = out.with_name(f".{out.name}.old{os.getpid()}")
    if out.exists():
        os.replace(out, old)
    os.replace(tmp, out)
    shutil.rmtree(old, ignore_errors=True)
    return out


def verify_hf_model_dir(path: Path, expected: dict[str, torch.Tensor]) -> None:
    """Load the saved safetensors back and check every tensor equals the one that was gathered.

    HF drops tied duplicates (lm_head = embed_tokens) on save, so a missing key is fine only when
    another saved tensor holds the same values.
    """
    from safetensors.torch import load_file

    files = sorted(Path(path).glob("*.safetensors"))
    if not files:
        raise LabtuneError(f"{path}: save wrote no .safetensors file")
    saved: dict[str, torch.Tensor] = {}
    for f in files:
        saved.update(load_file(f))
    for name, tensor in expected.items():
        got = saved.get(name)
        if got is None:
            if any(t.shape == tensor.shape and torch.equal(t, tensor.to(t.dtype)) for t in saved.values()):
                continue  # a tied weight saved once under its other name
            raise LabtuneError(f"{path}: saved model lacks tensor {name}")
        if got.shape != tensor.shape or not torch.equal(got, tensor.to(got.dtype)):
            raise LabtuneError(f"{path}: tensor {name} read back differs from the one saved")


def save_hf_model(model: nn.Module, out: Path, state: dict[str, torch.Tensor], tokenizer=None) -> Path:
    """Write `state` (from `gather_model_state`) as an HF model dir at `out`, verified, atomically.

    Call on rank 0 only (wrap in `distributed.on_main`). `model` gives the config and file layout.
    """
    from transformers.utils import logging as hf_logging

    from labtune.train.distributed.wrap import unwrap

    def write(tmp: Path) -> None:
        hf_logging.disable_progress_bar()
        try:
            # transformers 5 pops tensors out of the dict it is given: hand it a copy, keep ours to verify.
            unwrap(model).save_pretrained(tmp, state_dict=dict(state))
        finally:
            hf_logging.enable_progress_bar()
        if tokenizer is not None:
            tokenizer.save_pretrained(tmp)

    return write_verified(out, write, lambda tmp: verify_hf_model_dir(tmp, state))
