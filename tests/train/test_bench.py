"""The benchmark's arithmetic: FLOPs per token and throughput over the timed steps."""

from __future__ import annotations

import pytest

from labtune.train.bench import _throughput, model_flops_per_token


def test_flops_per_token_is_six_times_the_matmul_parameters(default_model_dir):
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    config = AutoConfig.from_pretrained(default_model_dir)
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(config)
    # every parameter but the norm weights is a matmul weight; the tied embedding counts once (lm_head)
    matmul = sum(p.numel() for n, p in model.named_parameters() if "norm" not in n)
    assert model_flops_per_token(default_model_dir, seq_len=0) == 6 * matmul
    attention = 12 * config.num_hidden_layers * config.hidden_size * 100
    assert model_flops_per_token(default_model_dir, seq_len=100) == 6 * matmul + attention


def test_throughput_leaves_out_the_warm_up_step():
    steps = [{"time": 10.0, "tokens": 500, "peak_rss_gb": 1.0},
             {"time": 12.0, "tokens": 900, "peak_rss_gb": 1.5},
             {"time": 14.0, "tokens": 1300, "peak_rss_gb": 1.6}]
    result = _throughput(steps)
    assert result["tokens_per_s"] == pytest.approx(200.0)
    assert (result["steps"], result["tokens"], result["peak_rss_gb"]) == (2, 800, 1.6)


@pytest.mark.parametrize("checkpointing", [False, True])
def test_trl_recomputes_activations_only_when_labtune_does(checkpointing):
    """TRL's SFTConfig turns gradient checkpointing on by default; the bench sets both sides alike."""
    pytest.importorskip("trl")
    from labtune.train.bench import trl_arguments

    settings = {"max_length": 512, "steps": 8, "batch_size": 4, "gradient_checkpointing": checkpointing}
    args = trl_arguments(settings, "unused")
    assert getattr(args, "activation_checkpointing", args.gradient_checkpointing) is checkpointing
    assert args.gradient_checkpointing is checkpointing
    assert (args.max_steps, args.per_device_train_batch_size, args.packing) == (9, 4, False)
