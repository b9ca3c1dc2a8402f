"""--to delta / import-delta: run - base and back, bit for bit, with the base and result checked."""

from __future__ import annotations

import json

import pytest
import torch

from labtune.errors import LabtuneError
from labtune.export.delta import apply_delta, make_delta, read_weights, tensors_sha256

from export_helpers import leftovers


@pytest.fixture(scope="module")
def delta_dir(lora_run, small_model_dir, tmp_path_factory):
    """The LoRA run's delta to its base (the default --base: the run's own base model)."""
    from labtune.cli import main  # noqa: F401  (registers commands)
    from labtune.export.delta import export_delta
    from labtune.export.source import load_source

    out = tmp_path_factory.mktemp("delta") / "delta"
    export_delta(load_source(str(lora_run)), str(small_model_dir), out)
    return out


def test_round_trip_equals_the_run_bit_for_bit(lora_run, small_model_dir, delta_dir, tmp_path, cli):
    code, err = cli("export", lora_run, "--to", "hf", "-o", tmp_path / "hf")
    assert code == 0, err
    code, err = cli("import-delta", delta_dir, "--base", small_model_dir, "-o", tmp_path / "back")
    assert code == 0, err
    run, back = read_weights(tmp_path / "hf"), read_weights(tmp_path / "back")
    assert sorted(run) == sorted(back)
    for name in run:
        assert torch.equal(run[name].view(torch.int32), back[name].view(torch.int32)), name
    manifest = json.loads((delta_dir / "delta.json").read_text())
    assert manifest["base_sha256"] == tensors_sha256(read_weights(small_model_dir))
    assert manifest["result_sha256"] == tensors_sha256(run)
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(tmp_path / "back")  # a plain HF directory again
    assert AutoTokenizer.from_pretrained(tmp_path / "back").chat_template
    assert model.config.model_type == "llama"


def test_delta_weights_are_the_difference(lora_run, small_model_dir, delta_dir, tmp_path):
    from safetensors.torch import load_file

    from labtune.export.hf import export_hf
    from labtune.export.source import load_source

    run = read_weights(export_hf(load_source(str(lora_run)), tmp_path / "hf"))
    base, delta = read_weights(small_model_dir), load_file(delta_dir / "delta.safetensors")
    name = "model.layers.0.self_attn.q_proj.weight"
    assert torch.equal(delta[name], run[name] - base[name]) and delta[name].abs().max() > 0


def test_far_moved_weights_are_restored_exactly():
    base = {"w": torch.tensor([1.0, 3.0, -2.0, 1e-8, 0.5])}
    run = {"w": torch.tensor([1e-10, 3.0000002, 7.0, 1.0, -0.0])}
    delta, fixes = make_delta(run, base)
    assert not torch.equal(base["w"] + delta["w"], run["w"])  # plain addition loses the low bits here
    assert fixes["w.index"].numel() >= 1
    result = apply_delta(base, delta, fixes)
    assert torch.equal(result["w"].view(torch.int32), run["w"].view(torch.int32))


def test_wrong_base_is_one_error_and_nothing_written(delta_dir, other_model_dir, tmp_path, cli):
    code, err = cli("import-delta", delta_dir, "--base", other_model_dir, "-o", tmp_path / "out")
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {other_model_dir}: wrong base for {delta_dir}")
    assert leftovers(tmp_path, "out") == []


def test_base_of_another_shape_is_refused_on_export(lora_run, tiny_model_dir, tmp_path, cli):
    code, err = cli("export", lora_run, "--to", "delta", "--base", tiny_model_dir, "-o", tmp_path / "d")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert f"error: {tiny_model_dir}: not the base of this model: tensor" in err
    assert leftovers(tmp_path, "d") == []


def test_truncated_delta_is_one_error(delta_dir, small_model_dir, tmp_path, cli):
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(delta_dir, broken)
    weights = broken / "delta.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    code, err = cli("import-delta", broken, "--base", small_model_dir, "-o", tmp_path / "out")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert err.startswith(f"error: {broken}: cannot read the delta")
    assert leftovers(tmp_path, "out") == []


def test_a_delta_is_not_loaded_as_a_model(delta_dir):
    from labtune.model.load import load

    with pytest.raises(LabtuneError, match="delta weights, not a model: apply them first"):
        load(str(delta_dir))
