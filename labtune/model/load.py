"""Load a run or a model, with the one template that goes with it. Chat, serve, eval and export
all come through here, so the template used in training is the one used everywhere after.

What a run directory holds is known by `labtune.model.run_dir` alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from labtune.data.templates import ChatTemplate, JinjaTemplate, get_template, tokenizer_eot
from labtune.errors import LabtuneError
from labtune.model.resolve import gguf_template_spec, gguf_tokenizer, is_gguf, resolve_model
from labtune.model.run_dir import RunDir


@dataclass
class Loaded:
    model: object  # a transformers PreTrainedModel (or a PeftModel)
    tokenizer: object
    template: ChatTemplate
    name: str  # what the user called it (run dir or model name)
    run: RunDir | None = None

    @property
    def run_dir(self) -> Path | None:
        return self.run.path if self.run else None

    @property
    def base_model(self) -> str | None:
        """For runs: the model they were tuned from."""
        return self.run.base_model if self.run else None

    @property
    def meta(self) -> dict | None:
        return self.run.meta if self.run else None


def template_from_spec(spec, tokenizer) -> ChatTemplate:
    """A run's template spec: a registry name, "tokenizer", or {"jinja": source} for a user file."""
    if isinstance(spec, dict) and "jinja" in spec:
        return JinjaTemplate(spec["jinja"], spec.get("name", "custom"), spec.get("eot") or tokenizer_eot(tokenizer),
                             tokenizer.bos_token or "", tokenizer.eos_token or "")
    return get_template(spec, tokenizer)


def load_tokenizer(model_dir: Path):
    from transformers import AutoTokenizer

    tokenizer = gguf_tokenizer(model_dir) if is_gguf(model_dir) else AutoTokenizer.from_pretrained(model_dir)
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

    `template` overrides only for plain models; a run always uses the template it was trained with,
    and so does a GGUF exported from a run (it records the run's template). Without the model, a
    GGUF is not converted: only its tokenizer is read (an engine such as llama.cpp runs the file).
    """
    run = RunDir.find(name)
    if run is None:
        spec = gguf_template_spec(Path(name).expanduser()) if is_gguf(name) else None
        if spec is not None and template and template != spec:
            raise LabtuneError(f"{name}: exported from a run trained with template {spec!r}; "
                               "it cannot be used with another")
        model_dir = resolve_model(name) if with_model or not is_gguf(name) else Path(name).expanduser()
        tokenizer = load_tokenizer(model_dir)
        chat_template = (template_from_spec(spec, tokenizer) if spec is not None
                         else get_template(template or "tokenizer", tokenizer))
        model = load_model(model_dir, dtype, device) if with_model else None
        return Loaded(model, tokenizer, chat_template, str(name))
    if template and template != run.template_spec:
        raise LabtuneError(f"{run.path}: this run was trained with template {run.template_spec!r}; "
                           "it cannot be used with another")
    run.require_weights()
    model = None
    if run.model_dir is not None:
        tokenizer = load_tokenizer(run.model_dir)
        model = load_model(run.model_dir, dtype, device) if with_model else None
    else:
        adapter = run.adapter_dir
        tokenizer = load_tokenizer(adapter if (adapter / "tokenizer_config.json").is_file()
                                   else resolve_model(run.base_model))
        if with_model:
            from peft import PeftModel

            model = PeftModel.from_pretrained(load_model(resolve_model(run.base_model), dtype), adapter)
            model = model.to(device) if device else model
    return Loaded(model, tokenizer, template_from_spec(run.template_spec, tokenizer), str(name), run)
