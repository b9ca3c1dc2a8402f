"""--to hf: a standalone directory plain transformers loads, merged, with the run's template."""

from __future__ import annotations

import json

import pytest
import torch

from labtune.export.hf import export_hf
from labtune.export.source import load_source
from labtune.model.load import load

from export_helpers import MESSAGES, run_logits

def test_lora_run_exports_merged_and_gives_the_runs_logits(lora_run, tmp_path):
    from transformers import AutoModelForCausalLM

    out = export_hf(load_source(str(lora_run)), tmp_path / "hf")
    assert not (out / "adapter_config.json").exists()
    ids, expected = run_logits(lora_run)
    model = AutoModelForCausalLM.from_pretrained(out, dtype=torch.float32)  # plain transformers, no peft
    with torch.no_grad():
        got = model(ids).logits
    assert (got - expected).abs().max().item() <= 1e-5
    base = AutoModelForCausalLM.from_pretrained(load(str(lora_run), with_model=False).base_model)
    with torch.no_grad():
        assert (base(ids).logits - expected).abs().max().item() > 1e-3  # the adapter did change the model


@pytest.mark.parametrize("run_fixture", ["lora_run", "vicuna_run", "alpaca_run"])
def test_tokenizer_renders_the_runs_template(run_fixture, request, tmp_path):
    from transformers import AutoTokenizer

    run = request.getfixturevalue(run_fixture)
    out = export_hf(load_source(str(run)), tmp_path / "hf")
    tokenizer = AutoTokenizer.from_pretrained(out)
    template = load(str(run), with_model=False).template
    rendered = tokenizer.apply_chat_template([m.to_dict() for m in MESSAGES], tokenize=False,
                                             add_generation_prompt=True)
    assert rendered == template.prompt(MESSAGES)
    stops = json.loads((out / "generation_config.json").read_text())["eos_token_id"]
    stops = stops if isinstance(stops, list) else [stops]
    assert tokenizer.convert_tokens_to_ids(template.eot) in stops


def test_existing_output_is_refused_without_force(lora_run, tmp_path, cli):
    (tmp_path / "hf").mkdir()
    (tmp_path / "hf" / "keep.txt").write_text("mine")
    code, err = cli("export", lora_run, "--to", "hf", "-o", tmp_path / "hf")
    assert code == 2 and err.strip().splitlines() == [
        f"error: {tmp_path / 'hf'}: already exists; choose another -o or pass --force to replace it"]
    assert (tmp_path / "hf" / "keep.txt").read_text() == "mine"
    code, err = cli("export", lora_run, "--to", "hf", "-o", tmp_path / "hf", "--force")
    assert code == 0, err
    assert not (tmp_path / "hf" / "keep.txt").exists() and (tmp_path / "hf" / "config.json").is_file()
