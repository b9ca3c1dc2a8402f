"""Tied embeddings: the input side's gradient added in place into the output side's dense one."""

from __future__ import annotations

import torch
import torch.nn.functional as F


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
    (`python benchmarks/host_memory.py --only default "tied gradient by autograd"` compares the two).
    One process only: DDP/FSDP reduce a parameter's gradient as soon as autograd delivers it, before
    this addition. Returns whether it was switched on (trainable tied weights of a plain nn.Embedding only).
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
