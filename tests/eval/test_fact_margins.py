"""scripts/fact_margins.py: the per-fact margin probe the README's notes section quotes."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import torch

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "fact_margins.py"


def _module():
    spec = importlib.util.spec_from_file_location("fact_margins", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_value_log_probs_sum_each_values_token_log_probs(tiny_model_dir):
    from labtune.model.load import load

    loaded = load(str(tiny_model_dir))
    model, tokenizer = loaded.model.eval(), loaded.tokenizer
    prompt = tokenizer("The presenter was", add_special_tokens=False)["input_ids"]
    values = ["Hana Kowalczyk", "Mateo Lindqvist of the lab"]  # different lengths: the batch is padded
    got = _module().value_log_probs(model, tokenizer, prompt, values)
    for value, score in zip(values, got):
        ids = tokenizer(" " + value, add_special_tokens=False)["input_ids"]
        with torch.no_grad():
            log_probs = model(torch.tensor([prompt + ids])).logits[0].log_softmax(-1)
        expected = sum(log_probs[len(prompt) - 1 + i, t].item() for i, t in enumerate(ids))
        assert abs(score - expected) < 1e-4


def test_script_reports_every_sample_question(tiny_model_dir):
    proc = subprocess.run([sys.executable, str(SCRIPT), str(tiny_model_dir)], capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr
    summary = proc.stdout.strip().splitlines()[-1]
    assert summary.startswith("all: ") and summary.split()[1].endswith("/39")
