"""Computed estimates: the FLOP convention of `labtune bench train`, and memory that orders the modes."""

from __future__ import annotations

import pytest

from labtune.chooser.card import describe
from labtune.chooser.estimate import EFFICIENCY, Machine, compute, lora_parameters, training_flops_per_token

CPU = Machine("cpu", "test CPU", matmul_gflops=100.0, bandwidth_gb_s=10.0)
GPU = Machine("cuda", "test GPU", matmul_gflops=50_000.0, bandwidth_gb_s=3000.0, bf16_gflops=500_000.0)


@pytest.fixture(scope="module")
def arch(default_model_dir):
    return describe(str(default_model_dir)).architecture


def test_full_training_flops_match_the_benchmarks_mfu_convention(arch, default_model_dir):
    from labtune.train.bench import model_flops_per_token

    assert training_flops_per_token(arch, 300, "full") == model_flops_per_token(default_model_dir, 300)
    assert training_flops_per_token(arch, 300, "lora") < training_flops_per_token(arch, 300, "full")


def test_time_is_flops_over_the_peak_share_and_memory_holds_the_optimizer_state(arch):
    full, lora = compute(arch, CPU, 2, 256, "full"), compute(arch, CPU, 2, 256, "lora")
    assert full.source == "computed" and full.memory_gb > 16 * arch.parameters / 1e9
    assert full.seconds_per_1k_tokens == pytest.approx(
        1000 * training_flops_per_token(arch, 256, "full") / (100e9 * EFFICIENCY["full"]))
    assert lora.memory_gb < full.memory_gb and lora_parameters(arch) < arch.parameters / 50
    halved = compute(arch, Machine("cpu", "slow", 50.0, 10.0), 2, 256, "full")
    assert halved.seconds_per_1k_tokens == pytest.approx(2 * full.seconds_per_1k_tokens)


def test_qlora_is_costed_on_a_gpu_only_and_inference_is_bandwidth_bound_at_batch_one(arch):
    assert compute(arch, CPU, 2, 256, "qlora").source == "n/a"
    qlora, lora = compute(arch, GPU, 2, 256, "qlora"), compute(arch, GPU, 2, 256, "lora")
    assert qlora.memory_gb < lora.memory_gb
    inference = compute(arch, CPU, 2, 256, "inference")
    weights_read = arch.parameters * 4 / 10e9  # every fp32 weight read once per token at 10 GB/s
    assert inference.seconds_per_1k_tokens >= 1000 * weights_read
