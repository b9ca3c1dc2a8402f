"""Load a run or a model, with the one template that goes with it. Chat, serve, eval and export
all come through here, so the template used in training is the one used everywhere after.

A run directory (written by `labtune train`) holds `labtune.json` and either `model/` (full
fine-tune, or merged LoRA) or `adapter/` (PEFT LoRA on `base_model`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from labtune.data.templates import ChatTemplate, get_template
from labtune.errors import LabtuneError
from labtune.model.resolve import resolve_model

RUN_META = "labtune.json"


@dataclass
class Loaded:
    model: object  # a transformers PreTrainedModel (or a PeftModel)
    tokenizer: object
    template: ChatTemplate
    name: str  # what the user called it (run dir or model name)
    run_dir: Path | None = None
    base_model: str | None = None  # for runs: the model they were tuned from
    meta: dict | None = None


def read_run_meta(path: Path) -> dict | None:
    meta = path / RUN_META
    if not meta.is_file():
        return None
    try:
        return json.loads(meta.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise LabtuneError(f"{meta}: invalid JSON at line {exc.lineno} column {exc.colno}") from None


def template_from_meta(meta: dict | None, tokenizer) -> ChatTemplate:
    """`meta["template"]` is a registry name, "tokenizer", or {"jinja": source} for a user file."""
    spec = (meta or {}).get("template", "tokenizer")
    if isinstance(spec, dict) and "jinja" in spec:
        from labtune.data.templates import JinjaTemplate, _tokenizer_eot

        return JinjaTemplate(spec["jinja"], spec.get("name", "custom"), spec.get("eot") or _tokenizer_eot(tokenizer),
                             tokenizer.bos_token or "", tokenizer.eos_token or "")
    return get_template(spec, tokenizer)


def load_tokenizer(model_dir: Path):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def load_model(model_dir: Path, dtype=None, device: str | None = None):
    import torch
    from transformers import AutoModelForCausalLM
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    try:
        model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=dtype or torch.float32)
    finally:
        hf_logging.enable_progress_bar()
    return model.to(device) if device else model


def load(name: str, dtype=None, device: str | None = None, template: str | None = None,
         with_model: bool = True) -> Loaded:
    """Load a run directory or a model (alias, HF dir, .gguf) with its template.

    `template` overrides only for plain models; a run always uses the template it was trained with.
    """
    path = Path(name)
    meta = read_run_meta(path) if path.is_dir() else None
    if meta is None:
        model_dir = resolve_model(name)
        tokenizer = load_tokenizer(model_dir)
        chat_template = get_template(template or "tokenizer", tokenizer)
        model = load_model(model_dir, dtype, device) if with_model else None
        return Loaded(model, tokenizer, chat_template, str(name))
    if template and template != meta.get("template"):
        raise LabtuneError(f"{path}: this run was trained with template {meta.get('template')!r}; "
                           "it cannot be used with another")
    base = meta.get("base_model")
    if (path / "model").is_dir():
        tokenizer = load_tokenizer(path / "model")
        model = load_model(path / "model", dtype, device) if with_model else None
    elif (path / "adapter").is_dir():
        tokenizer = load_tokenizer(path / "adapter") if (path / "adapter" / "tokenizer_config.json").is_file() \
            else load_tokenizer(resolve_model(base))
        model = None
        if with_model:
            from peft import PeftModel

            model = PeftModel.from_pretrained(load_model(resolve_model(base), dtype), path / "adapter")
            model = model.to(device) if device else model
    else:
        raise LabtuneError(f"{path}: run has neither model/ nor adapter/ (did training finish?)")
    return Loaded(model, tokenizer, template_from_meta(meta, tokenizer), str(name), path, base, meta)
