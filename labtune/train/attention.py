"""Causal attention over a packed row, one sample at a time.

With packed rows, transformers' `sdpa` path builds a [T, T] block-diagonal mask and attends over the
whole row: T^2 scores where the samples need sum(len_i^2), and with an explicit mask SDPA cannot use
its causal fast path. Here each sample (position_ids restart at 0) is its own causal SDPA call with
no mask. Written here because transformers has no varlen SDPA path on CPU (flash-attention's varlen
kernels are CUDA-only); benchmarks/packed_attention.py measures both.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from transformers import AttentionInterface
from transformers.integrations.sdpa_attention import sdpa_attention_forward
from transformers.masking_utils import AttentionMaskInterface

NAME = "labtune_packed"


def sample_bounds(position_ids: torch.Tensor) -> list[int]:
    """Start of each sample in a packed row (positions restart at 0), plus the row's end."""
    starts = (position_ids[0] == 0).nonzero().flatten().tolist()
    return (starts if starts and starts[0] == 0 else [0, *starts]) + [position_ids.shape[1]]


def packed_causal_attention(module, query, key, value, attention_mask, dropout: float = 0.0,
                            scaling: float | None = None, position_ids: torch.Tensor | None = None, **kwargs):
    """query [1, heads, T, dim], key/value [1, kv_heads, T, dim] -> [1, T, heads, dim]."""
    if query.shape[0] != 1 or position_ids is None or query.shape[2] != key.shape[2]:
        raise ValueError(f"{NAME} attention is for training on one packed row without a cache")
    bounds = sample_bounds(position_ids)
    if len(bounds) == 2:  # one sample: exactly transformers' causal sdpa call
        return sdpa_attention_forward(module, query, key, value, None, dropout=dropout, scaling=scaling, **kwargs)
    gqa = query.shape[1] != key.shape[1]  # SDPA shares each key/value head among its query heads
    parts = [F.scaled_dot_product_attention(query[:, :, a:b], key[:, :, a:b], value[:, :, a:b], is_causal=True,
                                            dropout_p=dropout, scale=scaling, enable_gqa=gqa)
             for a, b in zip(bounds, bounds[1:])]
    out = parts[0] if len(parts) == 1 else torch.cat(parts, dim=2)
    return out.transpose(1, 2).contiguous(), None


def _no_mask(*args, **kwargs):
    return None  # each sample is causal on its own: no [T, T] mask to build


AttentionInterface.register(NAME, packed_causal_attention)
AttentionMaskInterface.register(NAME, _no_mask)


def use_packed_attention(model) -> str:
    """Switch a model to per-sample attention for training; returns the implementation it had."""
    before = model.config._attn_implementation
    model.set_attn_implementation(NAME)
    return before


def standard_attention(model, implementation: str = "sdpa") -> None:
    """Before saving: a saved model must name an attention that plain transformers knows."""
    config = getattr(model, "config", None)
    if config is not None and getattr(config, "_attn_implementation", None) == NAME:
        model.set_attn_implementation(implementation)
