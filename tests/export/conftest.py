"""Fixtures for export tests: a tiny LLaMA with a small byte-level BPE vocabulary (so GGUF files
load in a second, where the real 49k vocabulary takes tens of seconds), runs trained on it, and an
in-process CLI."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from export_helpers import make_model, make_small_tokenizer, train_run

from labtune.model.run_dir import RunDir

@pytest.fixture(scope="session")
def small_model_dir(tmp_path_factory) -> Path:
    """A random 2-layer LLaMA (hidden 64, GQA 4/2 heads) with a 420-token ChatML tokenizer."""
    root = tmp_path_factory.mktemp("small-llama")
    tokenizer = make_small_tokenizer(root / "tok")
    return make_model(root / "model", tokenizer)


@pytest.fixture(scope="session")
def other_model_dir(tmp_path_factory, small_model_dir) -> Path:
    """Same shapes as small_model_dir, other weights: the wrong base for a delta."""
    from transformers import AutoTokenizer

    return make_model(tmp_path_factory.mktemp("other") / "model", AutoTokenizer.from_pretrained(small_model_dir),
                      seed=1)


@pytest.fixture(scope="session")
def lora_run(tmp_path_factory, small_model_dir) -> Path:
    """A LoRA run (adapter only, ChatML template from the tokenizer) whose adapter moved the weights."""
    return train_run(tmp_path_factory.mktemp("runs") / "lora", small_model_dir, lora=True, lora_r=4)


@pytest.fixture(scope="session")
def vicuna_run(tmp_path_factory, small_model_dir) -> Path:
    """A full fine-tune with FastChat's vicuna_v1.1 template."""
    return train_run(tmp_path_factory.mktemp("runs") / "vicuna", small_model_dir, template="vicuna_v1.1",
                     learning_rate=1e-3)


@pytest.fixture(scope="session")
def alpaca_run(tmp_path_factory, small_model_dir) -> Path:
    """A run directory with the Alpaca template (the weights of the small model, as a full run)."""
    out = tmp_path_factory.mktemp("runs") / "alpaca"
    shutil.copytree(small_model_dir, out / "model")
    RunDir(out).write_meta({"template": "alpaca", "base_model": str(small_model_dir), "kind": "full"})
    return out


@pytest.fixture
def cli(monkeypatch, capsys):
    """cli(*args) -> (exit code, stderr) of `labtune ARGS` run in this process."""
    def run(*args) -> tuple[int, str]:
        from labtune.cli import main

        capsys.readouterr()  # only what this command writes
        monkeypatch.setattr(sys, "argv", ["labtune", *map(str, args)])
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code or 0
        return code, capsys.readouterr().err

    return run
