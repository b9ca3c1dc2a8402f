"""`prepare`: the one call that switches on the CPU components a run's config (or a benchmark's plan) asks for."""


from __future__ import annotations

from dataclasses import dataclass, field

import torch

from labtune.train.cpu import allocator
from labtune.train.cpu.fused import fused_loss_sum, use_fused_ops
from labtune.train.cpu.host_memory import TRIM_BACKWARD_AT, TRIM_FORWARD_AT, configure_host_memory, \
    trim_during_step
from labtune.train.cpu.tied import tied_embedding_gradient_in_place

HEAP_POLICIES = ("keep", "low", "system")


@dataclass(frozen=True)
class MemoryPlan:
    """What a run does for host memory. `for_config(cfg)` is labtune's choice; benchmarks vary it."""

    heap: str = "keep"  # keep: freed memory stays for reuse; low: given back at once; system: malloc's own
    trim_forward: tuple[float, ...] = ()  # fractions of the decoder's depth where forward trims the heap
    trim_backward: tuple[float, ...] = ()  # ... and where backward does
    tied_gradient_in_place: bool = True
    fused_ops: bool = True
    keep_head_gradient: bool = True  # the output layer's gradient memory reused from step to step

    @classmethod
    def for_config(cls, cfg) -> MemoryPlan:
        low = cfg.low_cpu_memory
        return cls(heap="low" if low else "keep", trim_forward=TRIM_FORWARD_AT if low else (),
                   trim_backward=TRIM_BACKWARD_AT if low else (), fused_ops=cfg.fused_ops and not cfg.bf16,
                   keep_head_gradient=not low)


@dataclass
class Prepared:
    malloc: str = "system"
    tied_gradient_in_place: bool = False
    fused_mlps: int = 0
    fused_loss: bool = False
    trim: dict = field(default_factory=dict)

    def record(self) -> dict:
        """What run.json keeps about it."""
        return {"malloc": self.malloc, "fused_ops": self.fused_loss, "fused_mlps": self.fused_mlps}


def prepare(model, cfg, device: torch.device, world_size: int = 1, plan: MemoryPlan | None = None) -> Prepared:
    """Switch on the components `plan` (default: the config's) asks for and that fit this run.

    The heap policy applies on the CPU; the tied gradient and the lean ops to single-process full
    fine-tuning (DDP/FSDP reduce a gradient as soon as autograd delivers it; LoRA leaves the base frozen).
    """
    plan = plan or MemoryPlan.for_config(cfg)
    if plan.heap not in HEAP_POLICIES:
        raise ValueError(f"heap policy {plan.heap!r} is not one of {HEAP_POLICIES}")
    prepared = Prepared(malloc=allocator.active())
    if device.type == "cpu":
        if plan.heap != "system":
            configure_host_memory(low_memory=plan.heap == "low")
        if plan.trim_forward or plan.trim_backward:
            prepared.trim = trim_during_step(model, plan.trim_forward, plan.trim_backward)
    if world_size == 1 and not (cfg.lora or cfg.q_lora):
        if plan.tied_gradient_in_place:
            prepared.tied_gradient_in_place = tied_embedding_gradient_in_place(model)
        if plan.fused_ops:
            prepared.fused_mlps = use_fused_ops(model, keep_head_gradient=plan.keep_head_gradient)
            prepared.fused_loss = bool(getattr(model, "labtune_fused_loss", False))
    return prepared


def fused_loss(model, input_ids, position_ids, keep, targets) -> torch.Tensor | None:
    """The summed loss through the fused output layer when `prepare` switched it on, else None."""
    if not getattr(model, "labtune_fused_loss", False):
        return None
    return fused_loss_sum(model, input_ids, position_ids, keep, targets)
