"""Computed estimates: memory and time per 1k tokens from the architecture and this machine's measured
matmul peak and memory bandwidth, for the way labtune trains (fp32 AdamW full fine-tune; LoRA r=8 on
every linear layer over fp32 weights; QLoRA over 4-bit NF4 weights with bf16 compute, CUDA only) and
for greedy decoding at batch 1.

Time: model FLOPs per token (6 x matmul parameters for full training, the usual convention and the
one `labtune bench train` reports MFU with; 4 x for LoRA and QLoRA, which skip the weight gradients;
2 x for inference; plus attention) over the matmul peak times the share of it labtune's loop reaches.
Decoding one token at a time reads every weight once, so its time is the larger of that FLOP time and
the weights' bytes over the memory bandwidth.

Memory: weights, gradients and AdamW's two moments of what is trained, plus the activations kept for
backward at the probe's batch, plus what the runtime itself takes (Python, torch, the CUDA context).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from labtune.chooser.card import Architecture

GB = 1e9
LORA_RANK = 8  # TrainConfig's default lora_r, on every linear layer ("all-linear")
# Share of the fp32 matmul peak labtune's training loop reaches (MFU), measured with the probe on
# SmolLM2-135M on a 2-core CPU (docs/arena.md, "Benchmarks"); `labtune bench train` reads 57-77% for
# full fine-tuning at batch 4. The shares are what turns a FLOP count into a time here.
EFFICIENCY = {"full": 0.8, "lora": 0.55, "qlora": 0.3, "inference": 0.6}
RUNTIME_GB = {"cpu": 0.45, "cuda": 0.6}  # a process with torch and transformers imported, before any model


@dataclass(frozen=True)
class Machine:
    device: str  # "cpu" or "cuda"
    name: str  # e.g. "2 CPU threads" or the GPU's name
    matmul_gflops: float  # measured peak, the dtype training uses (fp32; bf16 on CUDA for QLoRA)
    bandwidth_gb_s: float  # measured memory copy bandwidth
    bf16_gflops: float | None = None  # CUDA only


@dataclass(frozen=True)
class Estimate:
    mode: str  # full | lora | qlora | inference
    memory_gb: float | None
    seconds_per_1k_tokens: float | None
    source: str  # "computed" | "measured" | "n/a"
    note: str = ""


def measure_machine(device: str | None = None, seconds: float = 1.0) -> Machine:
    """The best fp32 (and on CUDA bf16) matmul rate and copy bandwidth, each over ~`seconds`."""
    import torch

    device = device or ("cuda" if torch.cuda.is_available() else "cpu")

    def best_rate(dtype, n: int) -> float:
        a, b = torch.randn(n, n, device=device, dtype=dtype), torch.randn(n, n, device=device, dtype=dtype)
        best, start = 0.0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            t = time.perf_counter()
            torch.mm(a, b)
            if device == "cuda":
                torch.cuda.synchronize()
            best = max(best, 2 * n ** 3 / (time.perf_counter() - t) / 1e9)
        return best

    def bandwidth() -> float:
        source = torch.empty(64 * 2 ** 20, dtype=torch.float32, device=device)  # 256 MB
        target = torch.empty_like(source)
        best, start = 0.0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            t = time.perf_counter()
            target.copy_(source)
            if device == "cuda":
                torch.cuda.synchronize()
            best = max(best, 2 * source.numel() * 4 / (time.perf_counter() - t) / GB)  # read + write
        return best

    if device == "cuda":
        return Machine("cuda", torch.cuda.get_device_name(), best_rate(torch.float32, 4096), bandwidth(),
                       best_rate(torch.bfloat16, 8192))
    return Machine("cpu", f"{torch.get_num_threads()} CPU threads", best_rate(torch.float32, 2048), bandwidth())


def lora_parameters(arch: Architecture, rank: int = LORA_RANK) -> int:
    """A and B matrices of rank `rank` on q, k, v, o, gate, up and down of every layer."""
    h, kv, inter = arch.hidden, arch.kv_dim, arch.intermediate
    per_layer = rank * ((h + h) * 2 + (h + kv) * 2 + (h + inter) * 3)
    return arch.layers * per_layer


def activation_bytes(arch: Architecture, tokens: int, mode: str) -> float:
    """What backward needs kept, per layer and token, at the peak of a step. Full fine-tuning (labtune's
    lean ops): the inputs of the norms and linear layers, q/k/v for attention and two of the MLP's
    intermediate tensors; the logits are made in chunks. LoRA and QLoRA (transformers' own modules): the
    normalised inputs and all four MLP tensors as well, peft's dropout copy of every adapted layer's
    input and the whole logits (logits, log-softmax, gradient); their coefficients are fitted to the
    measured peak of SmolLM2-135M (within 2% at 512 tokens per step, docs/arena.md "Benchmarks")."""
    h, kv, inter = arch.hidden, arch.kv_dim, arch.intermediate
    if mode == "full":
        per_token_layer, logits = 6 * h + 2 * kv + 2 * inter, 0
    else:
        per_token_layer, logits = 20 * h + 2 * kv + 9 * inter, 3 * arch.vocab
    itemsize = 2 if mode == "qlora" else 4
    return tokens * (arch.layers * per_token_layer + logits) * itemsize


def training_flops_per_token(arch: Architecture, seq_len: int, mode: str) -> float:
    """6 (full) or 4 (LoRA: no weight gradients) x matmul parameters, + attention's 12 x layers x hidden x
    sequence (forward and backward), as `labtune.train.bench.model_flops_per_token` counts it."""
    factor = 6 if mode == "full" else 4
    return factor * arch.matmul_parameters + 12 * arch.layers * arch.hidden * seq_len


def compute(arch: Architecture, machine: Machine, batch: int, seq_len: int, mode: str,
            context: int = 1024) -> Estimate:
    """One computed estimate; `context` is the prompt + answer length costed for inference."""
    tokens = batch * seq_len
    runtime = RUNTIME_GB[machine.device] * GB
    if mode == "qlora" and machine.device != "cuda":
        return Estimate(mode, None, None, "n/a", "QLoRA needs a CUDA GPU and bitsandbytes")
    if mode == "inference":
        weight_bytes = arch.parameters * (2 if machine.device == "cuda" else 4)  # bf16 on CUDA, fp32 on CPU
        kv_cache = 2 * arch.layers * arch.kv_dim * context * (2 if machine.device == "cuda" else 4)
        flops = 2 * arch.matmul_parameters + 4 * arch.layers * arch.hidden * context / 2
        peak = machine.bf16_gflops if machine.device == "cuda" and machine.bf16_gflops else machine.matmul_gflops
        per_token = max(flops / (peak * 1e9), weight_bytes / (machine.bandwidth_gb_s * GB)) / EFFICIENCY[mode]
        return Estimate(mode, (weight_bytes + kv_cache + runtime) / GB, 1000 * per_token, "computed",
                        f"greedy, batch 1, {context}-token context")
    if mode == "full":
        state = 16 * arch.parameters  # fp32 weights + gradients + AdamW's two moments
    elif mode == "lora":
        state = 4 * arch.parameters + 16 * lora_parameters(arch)
    else:  # NF4 with double quantisation ~0.52 bytes per linear weight; embeddings in bf16
        state = 0.52 * arch.linear_parameters + 2 * (arch.parameters - arch.linear_parameters) + 16 * lora_parameters(arch)
    memory = state + activation_bytes(arch, tokens, mode) + runtime
    peak = machine.bf16_gflops if mode == "qlora" and machine.bf16_gflops else machine.matmul_gflops
    seconds = training_flops_per_token(arch, seq_len, mode) * 1000 / (peak * 1e9 * EFFICIENCY[mode])
    return Estimate(mode, memory / GB, seconds, "computed", f"batch {batch} x {seq_len} tokens")
