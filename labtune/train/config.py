"""The typed training config: FastChat/HF flag names and meanings, a YAML file with the same keys,
command-line overrides on top. One source of truth for `labtune train` and `labtune bench train`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator, model_validator

from labtune.errors import LabtuneError
from labtune.model.resolve import DEFAULT_MODEL
from labtune.yamlfile import read_mapping

SCHEDULERS = ("cosine", "linear", "constant", "constant_with_warmup", "cosine_with_restarts", "polynomial",
              "inverse_sqrt")


class TrainConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    # what to train on, and where the run goes
    data: list[str] = Field(default_factory=list, description="data file[:fraction]; repeat for several")
    data_format: str | None = Field(None, description="force a reader (sharegpt, alpaca, openai, ...)")
    skip_invalid: bool = Field(False, description="drop invalid records with a warning instead of failing")
    model: str = Field(DEFAULT_MODEL, description="smollm2-135m, a local HF model dir, or a .gguf file")
    template: str = Field("tokenizer", description="tokenizer | vicuna_v1.1 | alpaca | path/to/template.jinja")
    output_dir: str = Field("runs/latest", description="run directory")
    overwrite_output_dir: bool = Field(False, description="replace an output dir that holds another run")
    resume: bool = Field(False, description="continue from the last checkpoint (required to exist)")

    # FastChat / HF TrainingArguments names
    num_train_epochs: float = Field(3.0, gt=0)
    max_steps: int = Field(-1, description="stop after this many optimizer steps (-1: use epochs)")
    per_device_train_batch_size: int = Field(4, ge=1)
    gradient_accumulation_steps: int = Field(1, ge=1)
    learning_rate: float | None = Field(None, gt=0, description="default 2e-5 full, 2e-4 LoRA")
    weight_decay: float = Field(0.0, ge=0)
    decay_to_base: float = Field(0.0, ge=0, description="after each step pull every trained weight back toward "
                                 "the base model's by lr x this share of the difference (L2-SP, decoupled as "
                                 "AdamW's weight decay): the update stays where the loss needs it, so less is "
                                 "forgotten; keeps a copy of the trained weights")
    warmup_ratio: float = Field(0.03, ge=0, le=1)
    lr_scheduler_type: str = "cosine"
    max_grad_norm: float = Field(1.0, description="gradient clipping (0: off)")
    save_steps: int = Field(500, ge=1)
    save_total_limit: int | None = Field(2, ge=1, description="checkpoints kept (newest)")
    logging_steps: int = Field(1, ge=1)
    model_max_length: int | None = Field(None, ge=8, description="default: min(2048, model context)")
    bf16: bool | Literal["auto"] = Field(False, description="bfloat16 autocast (fp32 master weights); in a YAML "
                                         "file `auto`: on where it is faster (CUDA, or one process on a CPU "
                                         "with AVX512-BF16 or AMX)")
    gradient_checkpointing: bool = Field(False, description="recompute activations in backward")
    low_cpu_memory: bool = Field(False, description="CPU: give freed memory back during each step (peak RSS "
                                 "-3% on tcmalloc, -11% on glibc; tokens/s -20-40% from page faults; host_memory.py)")
    fused_ops: bool = Field(True, description="one process, full fine-tune, fp32: chunked vocabulary projection "
                            "+ loss, lean SwiGLU and RMSNorm (fused.py)")
    frozen_parameters: list[str] = Field(default_factory=list, description="regexes of parameter names not to "
                                         "train (full fine-tune), e.g. 'embed_tokens' or 'layers\\.[0-9]\\.'")
    frozen_layer_fraction: float = Field(0.0, ge=0, lt=1, description="full fine-tune: the bottom fraction of "
                                         "the decoder layers is not trained (backward stops above them)")
    seed: int = 42
    eval_fraction: float = Field(0.0, ge=0, lt=1, description="held-out share; eval loss at saves and end")

    # LoRA (peft)
    lora: bool = False
    lora_r: int = Field(8, ge=1)
    lora_alpha: int = Field(16, ge=1)
    lora_dropout: float = Field(0.05, ge=0, lt=1)
    lora_target_modules: list[str] = Field(default_factory=lambda: ["all-linear"])
    q_lora: bool = Field(False, description="4-bit base model (needs CUDA + bitsandbytes)")
    merge: bool = Field(False, description="LoRA: also write the merged full model to model/")

    quiet: bool = Field(False, description="log lines instead of a progress bar")

    # several processes (torchrun); see labtune/train/distributed/
    nproc: int | None = Field(None, ge=1, description="launch torchrun with this many processes on this machine")
    distributed: str | None = Field(None, description="ddp | fsdp under torchrun (default: ddp for LoRA, "
                                    "fsdp for full fine-tuning)")
    cpu_offload: bool = Field(False, description="FSDP: keep parameter shards, gradients and optimizer on CPU")

    @field_validator("lr_scheduler_type")
    @classmethod
    def _known_scheduler(cls, value: str) -> str:
        if value not in SCHEDULERS:
            raise ValueError(f"must be one of {', '.join(SCHEDULERS)}")
        return value

    @field_validator("bf16", mode="before")
    @classmethod
    def _bool_or_auto(cls, value):
        if value == "auto":
            return value
        try:
            return TypeAdapter(bool).validate_python(value)  # yes/no, on/off, 1/0 as pydantic reads them
        except ValidationError:
            raise ValueError("must be true, false or auto") from None

    @model_validator(mode="after")
    def _resolve_bf16(self) -> TrainConfig:
        # Resolved once, here, so the run's config.yaml records what it trained in.
        if self.bf16 == "auto":
            from labtune.model.bfloat16 import bfloat16_trains_faster

            self.bf16 = bfloat16_trains_faster(self.nproc or 1)
        return self

    @field_validator("distributed")
    @classmethod
    def _known_strategy(cls, value: str | None) -> str | None:
        if value not in (None, "ddp", "fsdp"):
            raise ValueError("must be ddp or fsdp")
        return value

    @field_validator("frozen_parameters")
    @classmethod
    def _valid_patterns(cls, value: list[str]) -> list[str]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"{pattern!r} is not a regular expression ({exc})") from None
        return value

    @field_validator("lora_target_modules", "data", "frozen_parameters", mode="before")
    @classmethod
    def _split_commas(cls, value):
        # YAML may give one string; the CLI gives repeated values.
        return [value] if isinstance(value, str) else value

    @property
    def lr(self) -> float:
        return self.learning_rate or (2e-4 if self.lora else 2e-5)

    def identity(self) -> dict:
        """The fields that make two runs the same run (what re-running into an output dir must match)."""
        return self.model_dump(exclude=PRESENTATION_FIELDS)

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.model_dump(), sort_keys=False)


# Changing these does not change what is trained, so a resumed run may differ in them.
PRESENTATION_FIELDS = {"output_dir", "overwrite_output_dir", "resume", "quiet", "save_steps", "save_total_limit",
                       "logging_steps", "merge", "nproc", "distributed", "cpu_offload"}


def _explain(exc: ValidationError, path: Path | None, overrides: dict, base: dict,
             base_source: Path | None) -> LabtuneError:
    """The error, named where the bad value came from: an option, the config file, or the recipe."""
    err = exc.errors()[0]
    field = str(err["loc"][0]) if err["loc"] else "(top level)"
    if path is not None and field not in overrides and (field not in base or field in _file_keys(path)):
        return LabtuneError(f"{path}: field {field}: {err['msg']}")
    if base_source is not None and field in base and field not in overrides:
        return LabtuneError(f"{base_source}: train.{field}: {err['msg']}")
    return LabtuneError(f"option --{field}: {err['msg']}")


def _file_keys(path: Path) -> set:
    return set(read_mapping(path, "config file of option names to values"))


def load_config(path: str | Path | None = None, overrides: dict | None = None, base: dict | None = None,
                base_source: str | Path | None = None) -> TrainConfig:
    """Defaults < `base` (a recipe's `train` section, from `base_source`) < YAML file < command-line
    overrides (None means "not given")."""
    values: dict = dict(base or {})
    if path is not None:
        path = Path(path)
        values.update(read_mapping(path, "config file of option names to values"))
    given = {k: v for k, v in (overrides or {}).items() if v is not None and v != []}
    values.update(given)
    try:
        return TrainConfig(**values)
    except ValidationError as exc:
        raise _explain(exc, path, given, base or {}, Path(base_source) if base_source else None) from None
