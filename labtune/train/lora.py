"""LoRA and QLoRA through peft. Default targets: every linear layer of the decoder (not lm_head)."""

from __future__ import annotations

from labtune.errors import LabtuneError
from labtune.train.config import TrainConfig


def check_qlora() -> None:
    """QLoRA needs CUDA and bitsandbytes; say so before anything loads."""
    import importlib.util

    import torch

    if not torch.cuda.is_available():
        raise LabtuneError("--q_lora needs a CUDA GPU (4-bit bitsandbytes kernels); on CPU use --lora")
    if importlib.util.find_spec("bitsandbytes") is None:
        raise LabtuneError("--q_lora needs bitsandbytes: run `pip install bitsandbytes`")


def quantization_config():
    import torch
    from transformers import BitsAndBytesConfig

    return BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                              bnb_4bit_compute_dtype=torch.bfloat16)


def add_lora(model, cfg: TrainConfig):
    from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training

    targets = cfg.lora_target_modules
    config = LoraConfig(r=cfg.lora_r, lora_alpha=cfg.lora_alpha, lora_dropout=cfg.lora_dropout,
                        target_modules=targets[0] if targets == ["all-linear"] else targets,
                        bias="none", task_type="CAUSAL_LM")
    if cfg.q_lora:
        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=cfg.gradient_checkpointing)
    try:
        return get_peft_model(model, config)
    except ValueError as exc:  # e.g. a target module name the model does not have
        raise LabtuneError(f"--lora_target_modules {','.join(targets)}: {exc}") from None
