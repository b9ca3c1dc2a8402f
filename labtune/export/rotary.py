"""The two row orders of a LLaMA Q/K projection.

Meta's checkpoints (and llama.cpp) rotate adjacent pairs of each head's dimensions (0,1), (2,3)...;
transformers rotates the two halves (0, d/2), (1, d/2+1)... The same model therefore stores the
rows of q_proj and k_proj in a different order within each head. Works on numpy arrays and torch
tensors alike (reshape + swap of two axes).
"""

from __future__ import annotations


def _swap(weight, heads: int, first: int, second: int):
    rows = weight.shape[0]
    if rows % (heads * 2):
        raise ValueError(f"{rows} rows do not split into {heads} heads of even size")
    rest = tuple(weight.shape[1:])
    grouped = weight.reshape(heads, first, second, *rest)
    swapped = grouped.swapaxes(1, 2) if hasattr(grouped, "swapaxes") else grouped.transpose(1, 2)
    return swapped.reshape(rows, *rest)


def halves_to_pairs(weight, heads: int):
    """transformers' order -> Meta's / llama.cpp's order."""
    return _swap(weight, heads, 2, weight.shape[0] // heads // 2)


def pairs_to_halves(weight, heads: int):
    """Meta's / llama.cpp's order -> transformers' order."""
    return _swap(weight, heads, weight.shape[0] // heads // 2, 2)
