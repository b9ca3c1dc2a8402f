"""`--to hf`: a standalone Hugging Face model directory, loadable by plain transformers (and vLLM,
TGI...). A LoRA run arrives merged; the tokenizer carries the run's chat template, so
`tokenizer.apply_chat_template` renders exactly what the run was trained on, and
`generation_config.json` stops at the template's end-of-turn token."""

from __future__ import annotations

from pathlib import Path

from labtune.export.output import staged
from labtune.export.source import Source
from labtune.train.output import save_tokenizer


def write_hf(source: Source, path: Path) -> None:
    """Write the model, tokenizer and generation config into the (existing, empty) directory `path`."""
    from transformers.utils import logging as hf_logging

    stop_ids = source.stop_token_ids
    generation = source.model.generation_config
    generation.eos_token_id = stop_ids if len(stop_ids) > 1 else stop_ids[0]
    generation.pad_token_id = source.tokenizer.pad_token_id
    source.model.config.name_or_path = source.name
    hf_logging.disable_progress_bar()
    try:
        source.model.save_pretrained(path)
    finally:
        hf_logging.enable_progress_bar()
    save_tokenizer(source.tokenizer, source.template, path)


def export_hf(source: Source, out: Path, force: bool = False) -> Path:
    with staged(out, force) as tmp:
        write_hf(source, tmp)
    return out
