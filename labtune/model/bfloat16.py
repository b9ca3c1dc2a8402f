"""Whether bfloat16 is fast here: the probe behind `labtune serve --dtype auto` and `bf16: auto` in training."""

from __future__ import annotations

import os


def native_bfloat16() -> bool:
    """Whether this CPU multiplies bfloat16 in hardware (AVX512-BF16 or AMX)."""
    import torch

    try:
        return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())
    except AttributeError:  # a torch without these probes: assume emulation
        return False


def bfloat16_trains_faster(processes: int = 1) -> bool:
    """Whether bfloat16 autocast speeds training up here: on a CUDA GPU with bfloat16, or in one process on
    a CPU that multiplies it natively (1.5x the steps/s of float32 with labtune's fused float32 kernels,
    SmolLM2-135M on an AVX512-BF16 CPU: docs/benchmarks.md). Elsewhere it is emulated and slower, and
    sharded CPU training (gloo) stays in float32."""
    import torch

    if torch.cuda.is_available():
        return torch.cuda.is_bf16_supported()
    launched = int(os.environ.get("WORLD_SIZE", "1"))
    return max(processes, launched) == 1 and native_bfloat16()
