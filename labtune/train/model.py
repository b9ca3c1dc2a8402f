"""The model as training needs it: loaded through the one loader, then LoRA, checkpointing, optimizer."""

from __future__ import annotations

import re
from pathlib import Path

import torch
import torch.nn.functional as F

from labtune.errors import LabtuneError
from labtune.model.load import load_model
from labtune.train.attention import use_packed_attention
from labtune.train.config import TrainConfig
from labtune.train.lora import add_lora, check_qlora, quantization_config


def pick_device() -> torch.device:
    # With an index: under torchrun each process has set its own GPU as the current one.
    return torch.device("cuda", torch.cuda.current_device()) if torch.cuda.is_available() else torch.device("cpu")


def load_for_training(cfg: TrainConfig, model_dir: Path, device: torch.device):
    if cfg.q_lora:
        check_qlora()
        from transformers import AutoModelForCausalLM

        model = AutoModelForCausalLM.from_pretrained(model_dir, quantization_config=quantization_config(),
                                                     dtype=torch.bfloat16, device_map={"": device.index or 0})
    else:
        model = load_model(model_dir, dtype=torch.float32).to(device)
    # Training never reads the KV cache; packed rows get per-sample causal attention (attention.py).
    model.config.use_cache = False
    if not cfg.q_lora and model.config._attn_implementation in ("sdpa", "eager"):
        use_packed_attention(model)
    if cfg.gradient_checkpointing:
        checkpointing_kwargs = {"use_reentrant": False}
        if hasattr(model, "activation_checkpointing_enable"):  # newer transformers; the old name warns
            model.activation_checkpointing_enable(activation_checkpointing_kwargs=checkpointing_kwargs)
        else:
            model.gradient_checkpointing_enable(gradient_checkpointing_kwargs=checkpointing_kwargs)
    freeze(model, cfg.frozen_parameters + bottom_layers(model.config.num_hidden_layers, cfg.frozen_layer_fraction))
    if cfg.lora or cfg.q_lora:
        model = add_lora(model, cfg)
        if cfg.gradient_checkpointing:
            model.enable_input_require_grads()
    model.train()
    return model


def frozen(name: str, patterns: list[str]) -> bool:
    return any(re.search(p, name) for p in patterns)


def check_frozen_patterns(model_dir: Path, patterns: list[str]) -> None:
    """Before the model loads: every pattern must name some weight in the checkpoint's safetensors."""
    if not patterns:
        return
    from safetensors import safe_open

    names: list[str] = []
    for file in sorted(Path(model_dir).glob("*.safetensors")):
        with safe_open(str(file), "pt") as weights:
            names += list(weights.keys())
    unmatched = [p for p in patterns if not any(re.search(p, n) for n in names)]
    if names and unmatched:
        raise LabtuneError(f"frozen_parameters {unmatched} match no weight of {model_dir} "
                           f"(names look like {names[0]})")


def bottom_layers(layers: int, fraction: float) -> list[str]:
    """A pattern naming the bottom `fraction` of `layers` decoder layers (none for 0)."""
    bottom = round(layers * fraction)
    return [r"\.layers\.(" + "|".join(str(i) for i in range(bottom)) + r")\."] if bottom else []


def check_frozen_layers(cfg: TrainConfig) -> None:
    if cfg.frozen_layer_fraction and (cfg.lora or cfg.q_lora):
        raise LabtuneError("frozen_layer_fraction applies to a full fine-tune; with LoRA only the adapters train "
                           "(set frozen_layer_fraction: 0)")


def freeze(model, patterns: list[str]) -> None:
    """Parameters whose name matches a pattern get no gradient, no optimizer state and no update."""
    for name, param in model.named_parameters():
        if frozen(name, patterns):
            param.requires_grad_(False)


class _TiedLookup(torch.autograd.Function):
    """An embedding lookup whose backward adds its rows straight into the tied weight's dense gradient."""

    @staticmethod
    def forward(ctx, ids: torch.Tensor, detached_weight: torch.Tensor, anchor: torch.Tensor,
                embedding: torch.nn.Embedding):
        ctx.save_for_backward(ids)
        ctx.embedding = embedding
        return F.embedding(ids, detached_weight, embedding.padding_idx)

    @staticmethod
    def backward(ctx, grad_out: torch.Tensor):
        (ids,) = ctx.saved_tensors
        weight, padding_idx = ctx.embedding.weight, ctx.embedding.padding_idx
        ids, rows = ids.reshape(-1), grad_out.reshape(-1, grad_out.shape[-1])
        if padding_idx is not None:  # as nn.Embedding: the padding row gets no gradient
            keep = ids != padding_idx
            ids, rows = ids[keep], rows[keep]
        if weight.grad is None:  # the output side's gradient normally got there first
            weight.grad = torch.zeros_like(weight)
        weight.grad.index_add_(0, ids, rows.to(weight.grad.dtype))
        return None, None, None, None


def tied_embedding_gradient_in_place(model) -> bool:
    """Tied embeddings: the input side's gradient is added in place into the output side's dense one.

    Through autograd the input side's gradient is either a dense vocab x hidden tensor (113 MB for
    SmolLM2, zero-filled at the very end of backward) or, with `sparse=True`, sparse rows that autograd
    adds to the output side's dense gradient out of place: another 113 MB copy at the same moment.
    Here the lookup reads a detached weight, so autograd sends the output side's gradient to `.grad`
    early, and the lookup's backward index-adds its rows into it: no vocabulary-sized temporary at all
    (`python benchmarks/host_memory.py`: "session 4" 3.07 GB vs "lean from 1024 tokens" 2.94-2.95). One process only: DDP/FSDP reduce a
    parameter's gradient as soon as autograd delivers it, before this addition. Returns whether it
    was switched on (trainable tied weights of a plain nn.Embedding only).
    """
    embedding, output = model.get_input_embeddings(), model.get_output_embeddings()
    if not isinstance(embedding, torch.nn.Embedding) or output is None or embedding.weight is not output.weight:
        return False
    if not embedding.weight.requires_grad or embedding.max_norm is not None or embedding.scale_grad_by_freq:
        return False
    # An empty leaf that wants a gradient, so that autograd keeps the lookup in the graph.
    embedding.labtune_grad_anchor = torch.empty(0, device=embedding.weight.device, requires_grad=True)
    embedding.forward = _tied_lookup.__get__(embedding)
    return True


def _tied_lookup(embedding: torch.nn.Embedding, ids: torch.Tensor) -> torch.Tensor:
    return _TiedLookup.apply(ids, embedding.weight.detach(), embedding.labtune_grad_anchor, embedding)


def make_optimizer(model, cfg: TrainConfig) -> torch.optim.Optimizer:
    """AdamW with HF's defaults; no weight decay on biases and norm weights (1-D tensors)."""
    decay, no_decay = [], []
    for param in model.parameters():
        if param.requires_grad:
            (decay if param.ndim >= 2 else no_decay).append(param)
    groups = [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    try:
        # Fused (as HF Trainer's default): one kernel per tensor, no foreach temporaries the size of
        # the model; on SmolLM2-135M it cut the step's peak RSS by ~0.2 GB and its time by half.
        return torch.optim.AdamW(groups, lr=cfg.lr, betas=(0.9, 0.999), eps=1e-8, fused=True)
    except (RuntimeError, ValueError):  # parameters on a device or dtype without a fused kernel
        return torch.optim.AdamW(groups, lr=cfg.lr, betas=(0.9, 0.999), eps=1e-8)


def make_scheduler(optimizer, cfg: TrainConfig, warmup_steps: int, total_steps: int):
    from transformers import get_scheduler

    return get_scheduler(cfg.lr_scheduler_type, optimizer, num_warmup_steps=warmup_steps,
                         num_training_steps=total_steps)


def count_parameters(model) -> tuple[int, int]:
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return trainable, total
