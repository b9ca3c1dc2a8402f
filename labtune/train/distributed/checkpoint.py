"""Gather and restore full (unsharded) model and optimizer state, the same way for DDP and FSDP.

torch.distributed.checkpoint.state_dict does the work. Saving gathers layer by layer straight into
CPU memory on rank 0 (`full_state_dict=True, cpu_offload=True`): the GPU never holds the whole model,
which is how the lab's "CUDA OOM while saving the FSDP state dict" is avoided; the other ranks get
an empty dict. Loading takes rank 0's full dict and broadcasts it into each rank's shards. Optimizer
state is keyed by parameter *name*, the same for DDP and FSDP. Every function that takes a model is
a collective: all ranks of the process group call it.
"""

from __future__ import annotations

from dataclasses import replace

import torch
from torch import nn
from torch.distributed.checkpoint.state_dict import (
    StateDictOptions,
    get_model_state_dict,
    get_optimizer_state_dict,
    set_model_state_dict,
    set_optimizer_state_dict,
)


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
