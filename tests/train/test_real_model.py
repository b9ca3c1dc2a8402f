"""The one end-to-end test on the embedded SmolLM2-135M: a short LoRA run learns and its output is standard."""

from __future__ import annotations

import json

import pytest
import torch

from labtune.train.config import TrainConfig
from labtune.train.loop import train
from labtune.train.metrics import read_metrics


def _lab_chats(path, n=20):
    people = ["Ada", "Grace", "Alan", "Edsger", "Barbara"]
    records = [{"conversations": [
        {"from": "human", "value": f"Who presented at lab meeting number {i}?"},
        {"from": "gpt", "value": f"{people[i % 5]} presented at lab meeting number {i}."}]} for i in range(n)]
    path.write_text(json.dumps(records))
    return path


@pytest.mark.slow
def test_lora_on_default_model_lowers_loss_and_loads_with_plain_peft(tmp_path, default_model_dir):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    out = tmp_path / "run"
    train(TrainConfig(data=[str(_lab_chats(tmp_path / "lab.json"))], output_dir=str(out), lora=True,
                      num_train_epochs=2, per_device_train_batch_size=4, learning_rate=2e-3, warmup_ratio=0.0,
                      quiet=True, save_steps=1000))
    losses = [r["loss"] for r in read_metrics(out) if "loss" in r]
    assert len(losses) == 10  # 20 samples / batch 4 x 2 epochs
    assert sum(losses[-5:]) / 5 < 0.7 * sum(losses[:5]) / 5

    tokenizer = AutoTokenizer.from_pretrained(out / "adapter")
    model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(default_model_dir), out / "adapter")
    prompt = tokenizer.apply_chat_template([{"role": "user", "content": "Who presented at lab meeting number 7?"}],
                                           add_generation_prompt=True, return_tensors="pt", return_dict=True)
    with torch.no_grad():
        generated = model.generate(**prompt, max_new_tokens=12, do_sample=False)
    answer = tokenizer.decode(generated[0, prompt["input_ids"].shape[1]:], skip_special_tokens=True)
    assert "presented" in answer
