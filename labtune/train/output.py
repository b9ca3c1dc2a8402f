"""The finished run: `model/` (HF dir) or `adapter/` (PEFT), `labtune.json`, `run.json`.

Each directory is written under a temp name and renamed; `labtune.json` comes last because its
presence is what makes the run loadable by chat/serve/eval/export.
"""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
from pathlib import Path

from labtune.data.templates import ChatTemplate
from labtune.data.tokenize import bos_ids
from labtune.model.run_dir import ADAPTER, MODEL, RunDir
from labtune.train.attention import standard_attention
from labtune.train.config import TrainConfig

def template_spec(cfg: TrainConfig, template: ChatTemplate):
    """What labtune.json records: a registry name, or the Jinja source of a user file."""
    if cfg.template in ("tokenizer", "vicuna_v1.1", "alpaca"):
        return cfg.template
    return {"jinja": template.source, "name": template.name, "eot": template.eot}


def hf_chat_template(template: ChatTemplate, tokenizer) -> str:
    """The Jinja chat template saved with the tokenizer, equivalent to the run's template."""
    return template.jinja(add_bos=bool(bos_ids(tokenizer, template)))


def _save_dir(final: Path, write) -> None:
    from transformers.utils import logging as hf_logging

    tmp = final.with_name(final.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    hf_logging.disable_progress_bar()  # "Writing model shards" bars would break the run's own output
    try:
        write(tmp)
    finally:
        hf_logging.enable_progress_bar()
    if final.exists():
        shutil.rmtree(final)
    os.replace(tmp, final)


def save_tokenizer(tokenizer, template: ChatTemplate, path: Path) -> None:
    tokenizer.chat_template = hf_chat_template(template, tokenizer)
    tokenizer.save_pretrained(path)


def _set_stop_tokens(model, tokenizer, template: ChatTemplate) -> None:
    """Plain `generate()` must stop at the template's end-of-turn token, not only at EOS."""
    ids = template.stop_token_ids(tokenizer)
    gen = model.generation_config
    gen.eos_token_id = sorted(ids) if len(ids) > 1 else ids[0]
    gen.pad_token_id = tokenizer.pad_token_id


def write_model(out: Path, model, tokenizer, template: ChatTemplate, lora: bool, merge: bool) -> list[str]:
    """Write adapter/ and/or model/; returns the names written."""
    written = []
    standard_attention(model)
    if lora:
        _save_dir(out / ADAPTER, lambda p: (model.save_pretrained(p), save_tokenizer(tokenizer, template, p)))
        written.append("adapter")
        if not merge:
            return written
        model = model.merge_and_unload()  # last use of the model: merging changes it in place
    _set_stop_tokens(model, tokenizer, template)
    _save_dir(out / MODEL, lambda p: (model.save_pretrained(p), save_tokenizer(tokenizer, template, p)))
    written.append("model")
    return written


def write_meta(out: Path, cfg: TrainConfig, template: ChatTemplate, extra: dict) -> None:
    RunDir(out).write_meta({"template": template_spec(cfg, template), "base_model": cfg.model,
                            "kind": "lora" if cfg.lora or cfg.q_lora else "full", **extra})


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def versions() -> dict:
    import peft
    import torch
    import transformers

    import labtune

    return {"labtune": getattr(labtune, "__version__", "0.1.0"), "python": platform.python_version(),
            "torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__}


def write_run_json(out: Path, info: dict, data_paths: list[str]) -> None:
    hashes = {p: file_sha256(Path(p)) for p in data_paths if Path(p).is_file()}
    RunDir(out).write_record({"versions": versions(), "data_sha256": hashes, **info})
