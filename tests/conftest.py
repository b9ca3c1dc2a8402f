"""Shared fixtures: offline mode, a per-session LABTUNE_HOME, and tiny random LLaMA models."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
# The default model's safetensors cache is kept between runs in the repo (ignored by git).
os.environ.setdefault("LABTUNE_HOME", str(Path(__file__).resolve().parents[1] / ".labtune-home"))

from testpaths import REPO, SHARED_DATA  # noqa: E402,F401  (re-exported for older imports)


@pytest.fixture(autouse=True)
def _torch_threads_restored():
    """`labtune serve` run in this process leaves its main thread one torch thread: give the next test back
    what it had."""
    import torch

    threads = torch.get_num_threads()
    yield
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def default_model_dir() -> Path:
    """The embedded SmolLM2-135M as a safetensors directory (converted once per LABTUNE_HOME)."""
    from labtune.model.resolve import resolve_model

    return resolve_model("smollm2-135m")


@pytest.fixture(scope="session")
def tokenizer(default_model_dir):
    from labtune.model.load import load_tokenizer

    return load_tokenizer(default_model_dir)


def make_tiny_llama(out: Path, tokenizer, seed: int = 0, hidden: int = 32, layers: int = 2) -> Path:
    """A random LlamaForCausalLM with the real tokenizer, saved as an HF dir (seconds to train)."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=hidden, intermediate_size=hidden * 2,
                         num_hidden_layers=layers, num_attention_heads=4, num_key_value_heads=2,
                         max_position_embeddings=512, tie_word_embeddings=True,
                         bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                         pad_token_id=tokenizer.pad_token_id)
    model = LlamaForCausalLM(config)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory, tokenizer) -> Path:
    """Path of a tiny random LLaMA (2 layers, hidden 32) with SmolLM2's tokenizer and chat template."""
    return make_tiny_llama(tmp_path_factory.mktemp("tiny-llama"), tokenizer)
