"""The process group as the training loop sees it under torchrun: `world.SingleProcess`'s methods,
implemented with DDP or FSDP2. The loop never calls torch.distributed itself.

- Gradients: the loop divides each window's NLL sum by the trainable tokens of *all* ranks and
  scales by the world size, so the averaged gradient DDP/FSDP produce is the single-process one.
- Checkpoints: every rank takes part in gathering (FSDP all-gathers shards into rank 0's CPU
  memory); rank 0 alone writes, and its success or error reaches every rank (`on_main`).
- The final model: under FSDP the full state dict is gathered on rank 0 into a weightless (meta)
  copy of the model, so `output.write_model` saves it exactly as in one process.
"""

from __future__ import annotations

from dataclasses import replace

import torch
import torch.distributed as dist

from labtune.errors import LabtuneError
from labtune.train import checkpoint
from labtune.train.distributed.wrap import Strategy, default_strategy, unwrap, wrap_model
from labtune.train.distributed.process import World, gradient_sync, init_world, launched_by_torchrun, on_main, \
    sum_across_ranks


class DistributedWorld:
    def __init__(self, world: World, strategy: Strategy, bf16: bool = False, cpu_offload: bool = False):
        self.world, self.strategy, self.bf16, self.cpu_offload = world, strategy, bf16, cpu_offload

    rank = property(lambda self: self.world.rank)
    world_size = property(lambda self: self.world.size)
    device = property(lambda self: self.world.device)
    is_main = property(lambda self: self.world.is_main)

    def wrap(self, model):
        # FSDP's bf16 policy is its own mixed precision; with `--bf16` under DDP the loop's autocast does it.
        return wrap_model(model, self.world, self.strategy, bf16=self.bf16 and self.strategy == "fsdp",
                          cpu_offload=self.cpu_offload)

    def unwrap(self, model):
        return unwrap(model)

    def sync_gradients(self, model, sync: bool):
        return gradient_sync(model, sync)

    def sum(self, value: float) -> float:
        return float(sum_across_ranks(value, self.world))

    def clip_grad_norm(self, model, max_norm: float) -> float:
        """Global gradient norm over all ranks' shards (FSDP grads are DTensors: `full_tensor` reduces)."""
        from torch.distributed.tensor import DTensor
        from torch.nn.utils import get_total_norm

        from labtune.train.world import clip_to

        grads = [p.grad for p in model.parameters() if p.grad is not None]
        if not grads:
            return 0.0
        total = get_total_norm(grads)
        if isinstance(total, DTensor):
            total = total.full_tensor()
        clip_to([p for p in model.parameters() if p.grad is not None], max_norm, total)
        return float(total)

    def barrier(self) -> None:
        dist.barrier()

    # --- checkpoints: the same files as one process writes, gathered first

    def _trainable_names(self, model) -> set[str]:
        return {n for n, p in unwrap(model).named_parameters() if p.requires_grad}

    def save_checkpoint(self, out, model, optimizer, scheduler, position, keep) -> None:
        from labtune.train.distributed.checkpoint import gather_model_state, gather_optimizer_state

        names = self._trainable_names(model)
        weights = {k: v for k, v in gather_model_state(model, trainable_only=True).items() if k in names}
        optim = gather_optimizer_state(model, optimizer)
        on_main(checkpoint.save, out, unwrap(model), optimizer, scheduler,
                replace(position, world_size=self.world_size), keep, weights=weights, optimizer_state=optim)

    def load_checkpoint(self, path, model, optimizer, scheduler) -> checkpoint.Position:
        from labtune.train.distributed.checkpoint import load_model_state, load_optimizer_state

        def restore(weights, optimizer_state):
            if optimizer_state.get("state") and not checkpoint.keyed_by_name(optimizer_state):
                raise LabtuneError(f"{path}: this checkpoint was written by a single process; resume it "
                                   "with a single process (or start a new run)")
            # strict=False: only trainable tensors are in the file; frozen ones come from the model dir.
            load_model_state(model, weights if self.is_main else None, strict=False)
            load_optimizer_state(model, optimizer, optimizer_state if self.is_main else None)

        position = checkpoint.load(path, model, optimizer, scheduler, restore=restore)
        if position.world_size != self.world_size:  # the data order is laid out per world size
            raise LabtuneError(f"{path}: written by {position.world_size} processes; resume it with "
                               f"{position.world_size} (--nproc {position.world_size})")
        return position

    def model_to_save(self, model):
        """The plain model with full weights on rank 0 (None elsewhere). Collective."""
        if self.strategy != "fsdp":
            return unwrap(model) if self.is_main else None
        from labtune.train.distributed.checkpoint import gather_model_state

        state = gather_model_state(model)
        return materialize(unwrap(model), state) if self.is_main else None


def materialize(sharded, state: dict[str, torch.Tensor]):
    """A non-FSDP copy of `sharded`'s architecture (also a PEFT model) holding `state` (CPU tensors)."""
    from transformers import AutoModelForCausalLM

    peft_config = getattr(sharded, "peft_config", None)
    base_config = sharded.get_base_model().config if peft_config else sharded.config
    with torch.device("meta"):  # no memory and no random init: every weight comes from `state`
        plain = AutoModelForCausalLM.from_config(base_config)
        if peft_config:
            from peft import get_peft_model

            plain = get_peft_model(plain, peft_config["default"])
    plain.load_state_dict(state, strict=False, assign=True)
    plain.tie_weights()
    left = [n for n, p in plain.named_parameters() if p.is_meta]
    if left:
        raise RuntimeError(f"gathered state lacks {len(left)} weights, e.g. {left[0]}")
    plain.generation_config = sharded.generation_config
    return plain


def make_world(cfg) -> DistributedWorld | None:
    """A `DistributedWorld` for `cfg` under torchrun, else None (the loop then uses `SingleProcess`)."""
    if not launched_by_torchrun():
        if cfg.distributed or cfg.cpu_offload:
            raise LabtuneError("--distributed/--cpu_offload need several processes: run under torchrun or "
                               "give --nproc N")
        return None
    lora = cfg.lora or cfg.q_lora
    if cfg.q_lora and cfg.distributed == "fsdp":
        raise LabtuneError("--q_lora cannot be sharded (4-bit weights): use --distributed ddp")
    if cfg.cpu_offload and cfg.distributed == "ddp":
        raise LabtuneError("--cpu_offload needs --distributed fsdp (DDP keeps a full replica per GPU)")
    world = init_world()
    strategy = cfg.distributed or default_strategy("lora" if lora else "full", world.size) or "ddp"
    return DistributedWorld(world, strategy, bf16=cfg.bf16, cpu_offload=cfg.cpu_offload)
