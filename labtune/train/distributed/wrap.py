"""Wrap a model for data parallelism: DDP (replicas) or FSDP2 `fully_shard` (shards).

FSDP shards parameters, gradients and optimizer state with the decoder layer as the unit: each layer
is all-gathered just before its forward/backward and freed after, so peak memory is about one full
layer plus 1/N of the rest. Create the optimizer *after* wrapping (it must see the sharded params).
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

from labtune.errors import LabtuneError
from labtune.train.distributed.process import World

Strategy = Literal["ddp", "fsdp"]


def default_strategy(kind: str, world_size: int) -> Strategy | None:
    """LoRA trains a few MB of adapter: replicas are cheapest. Full fine-tuning needs the shards."""
    if world_size <= 1:
        return None
    return "ddp" if kind == "lora" else "fsdp"


def decoder_layers(model: nn.Module) -> list[nn.Module]:
    """The repeated transformer blocks, found by the class names HF lists in `_no_split_modules`
    (e.g. LlamaDecoderLayer) so any HF causal LM (also inside a PEFT wrapper) works."""
    names: set[str] = set()
    for module in model.modules():
        names.update(getattr(module, "_no_split_modules", None) or ())
    layers = [m for m in model.modules() if type(m).__name__ in names]
    if not layers:
        raise LabtuneError(f"FSDP: cannot find the decoder layers of {type(model).__name__} "
                           "(no _no_split_modules); use --distributed ddp")
    return layers


def wrap_model(model: nn.Module, world: World, strategy: Strategy | None, *, bf16: bool = False,
               cpu_offload: bool = False) -> nn.Module:
    """Return the model ready for training on `world` (moved to its device, wrapped or not).

    `bf16` (FSDP only): parameters are all-gathered and used in bf16 and gradients reduced in bf16, while
    the sharded fp32 master weights and optimizer state stay fp32. `cpu_offload` (FSDP) keeps the
    shards, their gradients and the optimizer step on the CPU: slower, for models that do not fit
    (DDP ignores both: the loop's autocast gives bf16, and a replica cannot be offloaded).
    """
    if strategy is None:
        return model.to(world.device)
    if strategy == "ddp":
        from torch.nn.parallel import DistributedDataParallel

        model = model.to(world.device)
        return DistributedDataParallel(model, device_ids=[world.device.index] if world.device.type == "cuda" else None)
    if strategy != "fsdp":
        raise LabtuneError(f"--distributed must be ddp or fsdp, not {strategy!r}")
    return shard_model(model, world, bf16=bf16, cpu_offload=cpu_offload)


def shard_model(model: nn.Module, world: World, *, bf16: bool = False, cpu_offload: bool = False) -> nn.Module:
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.fsdp import CPUOffloadPolicy, MixedPrecisionPolicy, OffloadPolicy, fully_shard

    mesh = init_device_mesh(world.device.type, (world.size,))
    mp = MixedPrecisionPolicy(param_dtype=torch.bfloat16, reduce_dtype=torch.bfloat16) if bf16 \
        else MixedPrecisionPolicy()
    offload = CPUOffloadPolicy(pin_memory=world.device.type == "cuda") if cpu_offload else OffloadPolicy()
    if not cpu_offload:
        model = model.to(world.device)
    layers = decoder_layers(model)
    for i, layer in enumerate(layers):
        # The last layer's params are needed again at once by backward: keeping them skips one all-gather.
        fully_shard(layer, mesh=mesh, mp_policy=mp, offload_policy=offload,
                    reshard_after_forward=i < len(layers) - 1)
    # The root group holds what is left: embeddings, final norm and (tied) LM head.
    fully_shard(model, mesh=mesh, mp_policy=mp, offload_policy=offload)
    return model


def unwrap(model: nn.Module) -> nn.Module:
    """The user's model object (DDP wraps it; FSDP2 changes it in place, so it is the same object)."""
    from torch.nn.parallel import DistributedDataParallel

    return model.module if isinstance(model, DistributedDataParallel) else model
