"""The notes recipe as configuration: the packaged preset (labtune/recipes/notes.yaml), a user's file
merged over it, validated section by section with errors that name the file and the key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from labtune.data.notes.synthesize import SynthesisPlan
from labtune.errors import LabtuneError
from labtune.recipes import DEFAULT, read_recipe, recipe_path
from labtune.train.config import TrainConfig

# `labtune learn` sets these itself; a recipe naming them would be ignored, so it is refused.
RUN_KEYS = ("data", "output_dir", "overwrite_output_dir", "resume", "model", "seed")


class GeneralSettings(BaseModel):
    """Keeping general answers: the base model's own answers mixed back in (self-distillation replay)."""

    model_config = ConfigDict(extra="forbid")

    replay_per_conversation: float = Field(0.15, ge=0, description="general replay conversations mixed in per "
                                           "notes conversation")
    held_out: int = Field(24, ge=0, description="replay conversations never trained on; general perplexity "
                          "before/after is measured on them")
    blend: list[float] = Field(default_factory=list, description="after tuning, set the weights to base + a "
                               "(tuned - base) for the smallest a of these whose held-out check recall is the "
                               "tuned model's own (WiSE-FT; full fine-tuning only); empty: keep the tuned weights")

    @field_validator("blend")
    @classmethod
    def _shares(cls, value: list[float]) -> list[float]:
        if any(not 0 < a <= 1 for a in value):
            raise ValueError("every blend share must be above 0 and at most 1")
        return value


class CheckSettings(BaseModel):
    """The held-out self-check: questions in phrasings and date spellings training never uses."""

    model_config = ConfigDict(extra="forbid")

    questions: int = Field(48, ge=0, description="held-out questions of the kinds training teaches, scored during "
                           "training (teacher-forced: would greedy decoding write the taught answer?) and by the "
                           "blend; 0 turns early stopping off")
    from_epochs: float = Field(1.0, ge=0, description="first check after this many epochs")
    every_epochs: float = Field(0.5, gt=0, description="then every this many epochs")
    stop_at: float = Field(1.0, ge=0, le=1, description="stop training once this share of them is right")
    report_questions: int = Field(96, ge=0, description="held-out questions answered by the tuned model for the "
                                  "report (generated, contains-match)")
    answering_questions: int = Field(48, ge=0, description="of those, asked again with the run's notes in the "
                                     "prompt: chat and serve answer the way that got more right (0: open-book "
                                     "whenever the run has an index)")


class Recipe(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = DEFAULT
    description: str = ""
    synthesis: SynthesisPlan = Field(default_factory=SynthesisPlan)
    general: GeneralSettings = Field(default_factory=GeneralSettings)
    check: CheckSettings = Field(default_factory=CheckSettings)
    train: dict[str, Any] = Field(default_factory=dict)

    def train_config(self, **run) -> TrainConfig:
        """The recipe's `train` section plus what the run sets (data, output_dir, model, seed)."""
        return TrainConfig(**{**self.train, **run})

    def with_seed(self, seed: int) -> "Recipe":
        return self.model_copy(update={"synthesis": self.synthesis.model_copy(update={"seed": seed})})


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for key, value in over.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def _where(exc: ValidationError) -> tuple[str, str]:
    err = exc.errors()[0]
    return ".".join(str(p) for p in err["loc"]) or "(top level)", err["msg"]


def load_recipe(name_or_file: str | Path | None = None) -> Recipe:
    """The default preset, or it with a named recipe or a YAML file merged over it (section by section)."""
    values = read_recipe(DEFAULT)
    source = recipe_path(DEFAULT)
    if name_or_file is not None and str(name_or_file) != DEFAULT:
        source = recipe_path(name_or_file)
        values = _merge(values, read_recipe(name_or_file))
        values["name"] = source.stem
    try:
        recipe = Recipe(**values)
    except ValidationError as exc:
        key, msg = _where(exc)
        raise LabtuneError(f"{source}: {key}: {msg}") from None
    fixed = [k for k in RUN_KEYS if k in recipe.train]
    if fixed:
        raise LabtuneError(f"{source}: train.{fixed[0]}: set by `labtune learn` itself (its own option), not by a "
                           "recipe")
    try:
        recipe.train_config()
    except ValidationError as exc:
        key, msg = _where(exc)
        raise LabtuneError(f"{source}: train.{key}: {msg}") from None
    return recipe


def recipe_yaml(recipe: Recipe) -> str:
    """The recipe as YAML, each key with its meaning as a comment (what `--show-recipe` prints)."""
    lines = [f"# recipe {recipe.name}: {recipe.description}".rstrip(), ""]
    sections = (("synthesis", recipe.synthesis, SynthesisPlan), ("general", recipe.general, GeneralSettings),
                ("check", recipe.check, CheckSettings))
    for title, values, model in sections:
        lines.append(f"{title}:")
        for key, value in values.model_dump().items():
            if key == "seed":
                continue
            lines.append(_line(key, value, model.model_fields[key].description))
    lines.append("train:")
    for key, value in recipe.train.items():
        lines.append(_line(key, value, TrainConfig.model_fields[key].description))
    return "\n".join(lines) + "\n"


def _line(key: str, value, description: str | None) -> str:
    text = yaml.safe_dump({key: value}, default_flow_style=True, width=10**6).strip().strip("{}")
    return f"  {text}" + (f"  # {description}" if description else "")
