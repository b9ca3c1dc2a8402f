"""In-process pieces of distributed saving and wrapping (no process group needed)."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import save_file

from labtune.errors import LabtuneError
from labtune.train.output import verify_hf_model_dir, write_verified
from labtune.train.distributed.wrap import decoder_layers, default_strategy


def _write(files: dict[str, str]):
    def write(tmp):
        tmp.mkdir()
        for name, text in files.items():
            (tmp / name).write_text(text)
    return write


def test_failed_write_or_verify_leaves_the_previous_dir_untouched(tmp_path):
    out = tmp_path / "checkpoint"
    write_verified(out, _write({"a.txt": "old"}), lambda p: None)

    def dies(tmp):
        _write({"a.txt": "half"})(tmp)
        raise OSError("disk full (simulated)")

    with pytest.raises(OSError):
        write_verified(out, dies, lambda p: None)

    def rejects(path):
        raise LabtuneError("read back differs")

    with pytest.raises(LabtuneError):
        write_verified(out, _write({"a.txt": "new"}), rejects)
    assert (out / "a.txt").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["checkpoint"]  # no temp dirs left behind
    write_verified(out, _write({"a.txt": "new"}), lambda p: None)
    assert (out / "a.txt").read_text() == "new"


def test_verify_reads_every_tensor_back(tmp_path):
    embed = torch.randn(8, 4)
    expected = {"embed.weight": embed, "lm_head.weight": embed, "norm.weight": torch.ones(4)}
    save_file({"embed.weight": embed, "norm.weight": torch.ones(4)}, tmp_path / "model.safetensors")
    verify_hf_model_dir(tmp_path, expected)  # the tied lm_head saved once, under embed's name, is fine
    save_file({"embed.weight": embed, "norm.weight": torch.full((4,), 2.0)}, tmp_path / "model.safetensors")
    with pytest.raises(LabtuneError, match="norm.weight read back differs"):
        verify_hf_model_dir(tmp_path, expected)
    save_file({"embed.weight": embed}, tmp_path / "model.safetensors")
    with pytest.raises(LabtuneError, match="lacks tensor norm.weight"):
        verify_hf_model_dir(tmp_path, expected)


def test_default_strategy_is_ddp_for_lora_and_fsdp_for_full():
    assert default_strategy("lora", 4) == "ddp"
    assert default_strategy("full", 4) == "fsdp"
    assert default_strategy("full", 1) is None


def test_fsdp_unit_is_the_decoder_layer_also_inside_peft():
    from peft import LoraConfig, get_peft_model
    from transformers import LlamaConfig, LlamaForCausalLM

    model = LlamaForCausalLM(LlamaConfig(vocab_size=32, hidden_size=16, intermediate_size=32, num_hidden_layers=3,
                                         num_attention_heads=2, num_key_value_heads=1))
    assert [type(m).__name__ for m in decoder_layers(model)] == ["LlamaDecoderLayer"] * 3
    peft_model = get_peft_model(model, LoraConfig(r=2, target_modules=["q_proj"], task_type="CAUSAL_LM"))
    assert len(decoder_layers(peft_model)) == 3
    with pytest.raises(LabtuneError, match="use --distributed ddp"):
        decoder_layers(torch.nn.Linear(2, 2))
