"""The finished run: `model/` (HF dir) or `adapter/` (PEFT), `labtune.json`, `run.json`.

Each directory is written under a temp name, model/ is read back and checked, then renamed;
`labtune.json` comes last because its presence is what makes the run loadable by chat/serve/eval/export.
"""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
from pathlib import Path

import torch

from labtune.data.templates import ChatTemplate
from labtune.data.tokenize import bos_ids
from labtune.errors import LabtuneError
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


def write_verified(out: Path, write, verify) -> Path:
    """`write(tmp)` into a sibling temp dir, `verify(tmp)`, then rename onto `out` (rank 0's job).

    A crash or a failed check leaves `out` as it was (the previous checkpoint, or nothing), never a
    half-written directory that looks finished.
    """
    out = Path(out)
    tmp = out.with_name(f".{out.name}.tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.parent.mkdir(parents=True, exist_ok=True)
    try:
        write(tmp)
        verify(tmp)
    except Exception:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = out.with_name(f".{out.name}.old{os.getpid()}")
    if out.exists():
        os.replace(out, old)
    os.replace(tmp, out)
    shutil.rmtree(old, ignore_errors=True)
    return out


def verify_hf_model_dir(path: Path, expected: dict[str, torch.Tensor]) -> None:
    """Load the saved safetensors back and check every tensor equals the one that was gathered.

    HF drops tied duplicates (lm_head = embed_tokens) on save, so a missing key is fine only when
    another saved tensor holds the same values.
    """
    from safetensors.torch import load_file

    files = sorted(Path(path).glob("*.safetensors"))
    if not files:
        raise LabtuneError(f"{path}: save wrote no .safetensors file")
    saved: dict[str, torch.Tensor] = {}
    for f in files:
        saved.update(load_file(f))
    for name, tensor in expected.items():
        got = saved.get(name)
        if got is None:
            if any(t.shape == tensor.shape and torch.equal(t, tensor.to(t.dtype)) for t in saved.values()):
                continue  # a tied weight saved once under its other name
            raise LabtuneError(f"{path}: saved model lacks tensor {name}")
        if got.shape != tensor.shape or not torch.equal(got, tensor.to(got.dtype)):
            raise LabtuneError(f"{path}: tensor {name} read back differs from the one saved")


def quiet_save(write):
    """`write(path)` without transformers' "Writing model shards" bar, which breaks the run's own output."""
    from transformers.utils import logging as hf_logging

    def run(path: Path) -> None:
        hf_logging.disable_progress_bar()
        try:
            write(path)
        finally:
            hf_logging.enable_progress_bar()
    return run


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
        write_verified(out / ADAPTER, quiet_save(lambda p: (model.save_pretrained(p),
                                                            save_tokenizer(tokenizer, template, p))),
                       lambda p: None)
        written.append("adapter")
        if not merge:
            return written
        model = model.merge_and_unload()  # last use of the model: merging changes it in place
    _set_stop_tokens(model, tokenizer, template)
    # Every tensor is read back and compared before model/ takes its name: a run is never reported done
    # over weights that do not load.
    write_verified(out / MODEL, quiet_save(lambda p: (model.save_pretrained(p), save_tokenizer(tokenizer, template, p))),
                   lambda p: verify_hf_model_dir(p, model.state_dict()))
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
