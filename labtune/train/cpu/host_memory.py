"""How glibc's malloc treats the memory a CPU training step frees: keep it for reuse, or give it back.

Every step allocates and frees the same few GB of activations and gradients. glibc sends blocks above
its mmap threshold to fresh mappings, which the kernel must page-fault in and zero on every use; blocks
below it come from the heap, and freed heap memory is reused at no cost but also stays in the process.
Training always sets the largest threshold glibc allows (32 MB) and never trims the heap on its own,
so a step reuses what the previous one freed; only the biggest blocks (a vocabulary-sized gradient)
are mapped afresh.

But freed blocks of one size do not fit requests of another: the forward pass's temporaries leave holes
the activations it keeps do not fill, and the gradients backward makes do not fit the activations it
frees, so the resident set grows past what is live. `--low_cpu_memory` trims the heap (`malloc_trim`)
at six points of every step (`trim_during_step`) and gives its top back at every free, which keeps
the peak near what is live at the cost of page faults when the pages are used again.

Measured with `python benchmarks/host_memory.py --steps 8 --rounds 2` (SmolLM2-135M, full fine-tune,
the bench's 64 chats, batch 4; figures in docs/benchmarks.md): default 2.94-3.00 GB peak RSS, ~12k page
faults per step; `--low_cpu_memory` 2.64-2.66 GB, 0.26M faults, ~1 s of system time (~20% fewer
tokens/s). The alternatives cost more for a similar peak: a trim threshold of 0 (the heap's top given
back at every free) 0.1M faults and 13% of the speed; a 256 KB mmap threshold (every freed block
leaves at once) 0.53M faults a step. mallopt takes a C int, so `set_malloc` refuses larger values
rather than let ctypes wrap them (1 << 40 would become 0).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

import torch

from labtune.train.cpu import allocator

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
# Benchmarks use this so that peak RSS tracks what is live (every block over 256 KB is mapped afresh).
LOW_MEMORY_THRESHOLD = 256 * 1024
FAST_MMAP_THRESHOLD = 32 * 1024 * 1024  # glibc's largest
KEEP_HEAP = 2 ** 31 - 1  # a trim threshold never reached (mallopt takes a C int)
# Where a training step trims the heap, as fractions of the decoder's depth: after SmolLM2's layers 10,
# 20 and 29 (of 30) in forward, and as backward reaches its layers 20, 10 and 2.
TRIM_FORWARD_AT = (1 / 3, 2 / 3, 1.0)
TRIM_BACKWARD_AT = (0.07, 1 / 3, 2 / 3)


def _glibc(function: str):
    """A glibc function, or None (not Linux; musl and other C libraries lack mallopt and malloc_trim)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return getattr(ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6"), function)
    except (OSError, AttributeError):
        return None


def _tcmalloc(function: str):
    """A function of a preloaded tcmalloc (its C `MallocExtension_*` API), or None."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return getattr(ctypes.CDLL(None), function)
    except (OSError, AttributeError):
        return None


def release_free_memory():
    """The call that hands free heap pages back to the OS: tcmalloc's where it is loaded, else glibc's
    `malloc_trim(0)`; None where there is neither."""
    release = _tcmalloc("MallocExtension_ReleaseFreeMemory")
    if release is not None:
        return release
    malloc_trim = _glibc("malloc_trim")
    return None if malloc_trim is None else (lambda: malloc_trim(0))


def set_malloc(mmap_threshold: int, trim_threshold: int) -> bool:
    """True when glibc accepted the setting (Linux); elsewhere a no-op."""
    if not all(0 <= value < 2 ** 31 for value in (mmap_threshold, trim_threshold)):
        raise ValueError("mallopt takes a C int: ctypes would silently wrap a larger value (1 << 40 becomes 0)")
    mallopt = _glibc("mallopt")
    if mallopt is None:
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, mmap_threshold)) and bool(mallopt(M_TRIM_THRESHOLD, trim_threshold))


def trim_during_step(model, forward: tuple[float, ...] = TRIM_FORWARD_AT,
                     backward: tuple[float, ...] = TRIM_BACKWARD_AT) -> dict[str, list[int]]:
    """Hand the heap's free pages back to the OS at a few decoder layers of each training step.

    `malloc_trim(0)` (glibc) gives back every free page of the heap; done after the given
    fractions of the decoder's depth in forward (training only) and as backward reaches the given
    fractions, it keeps the peak near what is live, at the cost of page faults when the pages are
    used again. Returns the layer indices hooked (empty where there is no glibc or no `.layers`).
    """
    release_pages = release_free_memory()
    layers = getattr(model.get_decoder(), "layers", None) if hasattr(model, "get_decoder") else None
    if release_pages is None or not layers:
        return {"forward": [], "backward": []}

    def at(fractions):
        return sorted({min(int(len(layers) * f), len(layers) - 1) for f in fractions})

    def release(*args):
        release_pages()

    def after_forward(module, args, output):
        if module.training and torch.is_grad_enabled():
            release()

    def on_forward(module, args, output):
        hidden = output[0] if isinstance(output, tuple) else output
        if torch.is_tensor(hidden) and hidden.requires_grad:
            hidden.register_hook(release)  # runs when backward reaches this layer's output

    chosen = {"forward": at(forward), "backward": at(backward)}
    for index in chosen["forward"]:
        layers[index].register_forward_hook(after_forward)
    for index in chosen["backward"]:
        layers[index].register_forward_hook(on_forward)
    return chosen


def configure_host_memory(low_memory: bool = False) -> bool:
    """Freed heap memory stays for the next step's reuse; only blocks over 32 MB are mapped afresh.

    With `low_memory` (`--low_cpu_memory`, which also trims during the step) the heap's top is given
    back at every free as well: 2.64-2.66 GB in four runs, 2.65-2.72 with the top kept. Under a
    preloaded tcmalloc (allocator.py) its defaults keep freed pages already, and `low_memory` turns
    on its aggressive decommit instead (every freed span goes back to the OS at once).
    """
    if allocator.active() == "tcmalloc":
        if not low_memory:
            return True
        setter = _tcmalloc("MallocExtension_SetNumericProperty")
        return setter is not None and bool(setter(b"tcmalloc.aggressive_memory_decommit", ctypes.c_size_t(1)))
    return set_malloc(FAST_MMAP_THRESHOLD, 0 if low_memory else KEEP_HEAP)
