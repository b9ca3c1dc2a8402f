"""Checks that run before the model loads, so a doomed run fails in a second with the fix spelled out.

The lab's FSDP crash (docs/distributed.md, "The lab's two crashes") came from a dataset with fewer
micro-batches per rank than `gradient_accumulation_steps`: the optimizer stepped on gradients that were
never reduced. Here the accumulation is lowered to what the data allows, with a warning, or the run is refused.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from labtune.errors import LabtuneError
from labtune.train.batching import micro_batches_per_epoch
from labtune.train.config import TrainConfig

CONFIG_FILE = "config.yaml"
DEFAULT_MAX_LENGTH = 2048


@dataclass
class Plan:
    """What the run will do, after pre-flight adjustments."""

    gradient_accumulation_steps: int
    micro_batches_per_epoch: int
    steps_per_epoch: int
    total_steps: int
    warmup_steps: int
    warnings: list[str] = field(default_factory=list)


def max_length(cfg: TrainConfig, model_context: int | None) -> int:
    """The sequence limit: the flag if given (refused above the model's context), else min(2048, context)."""
    if cfg.model_max_length is None:
        return min(DEFAULT_MAX_LENGTH, model_context or DEFAULT_MAX_LENGTH)
    if model_context and cfg.model_max_length > model_context:
        raise LabtuneError(f"--model_max_length {cfg.model_max_length} is above the context of {cfg.model} "
                           f"({model_context} tokens): use --model_max_length {model_context} or less")
    return cfg.model_max_length


def plan_steps(cfg: TrainConfig, n_samples: int, world_size: int = 1) -> Plan:
    """Steps per epoch and in total; lowers gradient accumulation when an epoch is too short for it."""
    if n_samples == 0:
        raise LabtuneError("no training samples left after reading and tokenizing the data: "
                           "check the --data files (labtune data check FILE shows why)")
    if n_samples < world_size:
        raise LabtuneError(f"the dataset has {n_samples} training samples but {world_size} processes: "
                           f"every process needs at least one; use at most --nproc_per_node={n_samples}")
    micro = micro_batches_per_epoch(n_samples, cfg.per_device_train_batch_size, world_size)
    accumulation = cfg.gradient_accumulation_steps
    warnings = []
    if micro < accumulation:
        warnings.append(
            f"an epoch has only {micro} micro-batches per process ({n_samples} samples / "
            f"(per_device_train_batch_size {cfg.per_device_train_batch_size} x world size {world_size})), fewer "
            f"than gradient_accumulation_steps {accumulation}: using gradient_accumulation_steps {micro}. "
            f"To keep the effective batch, raise --per_device_train_batch_size or add data")
        accumulation = micro
    steps_per_epoch = -(-micro // accumulation)
    total = cfg.max_steps if cfg.max_steps > 0 else -(-int(steps_per_epoch * cfg.num_train_epochs * 1000) // 1000)
    total = max(total, 1)
    return Plan(accumulation, micro, steps_per_epoch, total, int(round(total * cfg.warmup_ratio)), warnings)


def check_output_dir(cfg: TrainConfig, out: Path, has_checkpoint: bool) -> bool:
    """Decide whether `out` is a fresh run (False) or one to resume (True); refuse anything else."""
    if cfg.overwrite_output_dir or not out.exists() or not any(out.iterdir()):
        if cfg.resume and not has_checkpoint:
            raise LabtuneError(f"{out}: --resume given but there is no checkpoint to resume from")
        return False
    saved = out / CONFIG_FILE
    if not saved.is_file():
        raise LabtuneError(f"{out}: the output dir exists and is not a labtune run: choose another -o/--output_dir "
                           "or pass --overwrite_output_dir")
    try:
        previous = TrainConfig(**(yaml.safe_load(saved.read_text(encoding="utf-8")) or {}))
    except Exception as exc:  # a config written by another version or edited by hand
        raise LabtuneError(f"{saved}: cannot read the previous run's config ({str(exc).splitlines()[0]}); "
                           "choose another -o/--output_dir or pass --overwrite_output_dir") from None
    old, new = previous.identity(), cfg.identity()
    changed = [k for k in new if old.get(k) != new[k]]
    if changed:
        diffs = ", ".join(f"{k}: {old.get(k)!r} -> {new[k]!r}" for k in changed[:3])
        raise LabtuneError(f"{out} holds a different run ({diffs}): choose another -o/--output_dir, or pass "
                           "--overwrite_output_dir to replace it")
    if cfg.resume and not has_checkpoint:
        raise LabtuneError(f"{out}: --resume given but there is no checkpoint to resume from")
    return has_checkpoint


def model_context(model_dir: Path) -> int | None:
    """The model's trained context length, read from config.json without loading any weights."""
    try:
        config = json.loads((Path(model_dir) / "config.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    return config.get("max_position_embeddings")
