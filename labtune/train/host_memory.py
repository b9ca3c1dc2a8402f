"""How glibc's malloc treats the tensors a CPU training step frees: reuse them, or give them back.

Every step allocates and frees the same few GB of activations and gradients. glibc sends blocks above
its mmap threshold to fresh mappings, which the kernel must page-fault in and zero on every use; blocks
below it come from the heap, and freed heap memory is reused at no cost but also stays in the process.

- fast (the default): the largest threshold glibc allows (32 MB) and no trimming of the heap, so a
  step reuses what the previous one freed. Only the biggest blocks (a vocabulary-sized gradient) are
  mapped afresh.
- low memory (`--low_cpu_memory`): a 256 KB threshold, so every freed tensor leaves the process at once and
  peak RSS tracks what is live, at the cost of page faults on every step.

Measured on SmolLM2-135M, full fine-tune, batch 4 (`python benchmarks/host_memory.py`, README):
fast 112 tokens/s, peak RSS 3.05 GB, 0.12M page faults per step; low memory 86 tokens/s, 2.82 GB,
0.57M faults; glibc's own dynamic threshold 110 tokens/s, 3.20 GB.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

import torch

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
LOW_MEMORY_THRESHOLD = 256 * 1024  # bytes: a 576-wide fp32 row of 128 tokens is 288 KB
FAST_MMAP_THRESHOLD = 32 * 1024 * 1024  # glibc's largest
KEEP_HEAP = 1 << 40  # a trim threshold never reached
# Where backward trims the heap, as fractions of the decoder's depth (SmolLM2's 30 layers: 2, 10, 20).
TRIM_AT = (0.07, 1 / 3, 2 / 3)


def _glibc(function: str):
    """A glibc function, or None (not Linux; musl and other C libraries lack mallopt and malloc_trim)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return getattr(ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6"), function)
    except (OSError, AttributeError):
        return None


def set_malloc(mmap_threshold: int, trim_threshold: int) -> bool:
    """True when glibc accepted the setting (Linux); elsewhere a no-op."""
    mallopt = _glibc("mallopt")
    if mallopt is None:
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, mmap_threshold)) and bool(mallopt(M_TRIM_THRESHOLD, trim_threshold))


def trim_during_backward(model, fractions: tuple[float, ...] = TRIM_AT) -> list[int]:
    """Hand the heap's free pages back to the OS at a few decoder layers during backward.

    With the heap kept (the fast setting), the activations backward frees stay in the process while
    the gradients it makes take fresh pages, so each step's resident set grows past what is live.
    `malloc_trim(0)` (glibc) gives back every free page; done as backward reaches the given fractions
    of the decoder's depth, it returns what the layers above freed before the layers below allocate.
    Returns the layer indices hooked ([] where there is no glibc or no `.layers` to hook).
    """
    malloc_trim = _glibc("malloc_trim")
    layers = getattr(model.get_decoder(), "layers", None) if hasattr(model, "get_decoder") else None
    if malloc_trim is None or not layers:
        return []
    chosen = sorted({min(int(len(layers) * f), len(layers) - 1) for f in fractions})

    def release(grad):
        malloc_trim(0)

    def on_forward(module, args, output):
        hidden = output[0] if isinstance(output, tuple) else output
        if torch.is_tensor(hidden) and hidden.requires_grad:
            hidden.register_hook(release)  # runs when backward reaches this layer's output

    for index in chosen:
        layers[index].register_forward_hook(on_forward)
    return chosen


def configure_host_memory(low_memory: bool) -> bool:
    if low_memory:
        return set_malloc(LOW_MEMORY_THRESHOLD, LOW_MEMORY_THRESHOLD)
    return set_malloc(FAST_MMAP_THRESHOLD, KEEP_HEAP)
