"""`labtune experiment GRID.yaml`: named data mixes x hyperparameter values -> train each, evaluate all.

The grid file:

    output_dir: runs/lab-grid          # one run directory per combination under it, plus eval/
    train: {model: smollm2-135m, learning_rate: 2.0e-5}   # `labtune train` options shared by every run
    mixes:                             # name -> data list, as `labtune train --data` takes it
      notes: [data/lab-notes.json]
      notes+playground: [data/lab-notes.json, ../shared/data/dummy_conversation.json:0.1]
    grid: {num_train_epochs: [3, 50]}  # every combination of these values, for every mix
    eval: {questions: labtune/samples/labnotes-questions.jsonl, match: contains}   # `labtune eval` options
                                       # (notes: DIR adds open-book and right-note rows)

Paths are relative to the working directory, as in `labtune train` configs. A run whose directory
already holds a finished run with the same training config is reused, not retrained.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, fields
from pathlib import Path

from rich.console import Console

from labtune.errors import LabtuneError
from labtune.eval.evaluate import Settings
from labtune.model.run_dir import RunDir
from labtune.yamlfile import read_mapping

# Short names for the usual grid keys, so run directories read like "notes-ep3".
SHORT_KEYS = {"num_train_epochs": "ep", "learning_rate": "lr", "per_device_train_batch_size": "bs",
              "gradient_accumulation_steps": "ga", "lora": "lora", "lora_r": "r", "max_steps": "steps"}
EVAL_KEYS = {"questions", "match", "general", "no_general", "show_wrong", "notes", "closed_book", "notes_k"} | \
    {f.name for f in fields(Settings)}


@dataclass
class GridRun:
    name: str
    options: dict  # TrainConfig values for this run

    @property
    def output_dir(self) -> Path:
        return Path(self.options["output_dir"])


@dataclass
class Grid:
    path: Path
    output_dir: Path
    runs: list[GridRun]
    eval: dict


def _value_label(value) -> str:
    if isinstance(value, bool):
        return "" if value else "no"
    return f"{value:g}" if isinstance(value, float) else str(value)


def run_name(mix: str, combo: dict) -> str:
    parts = [mix] + [f"{SHORT_KEYS.get(k, k)}{_value_label(v)}" for k, v in combo.items()]
    return "-".join(p.replace("/", "_") for p in parts)


def read_grid(path: str | Path) -> Grid:
    path = Path(path)
    spec = read_mapping(path, "grid file with output_dir, train, mixes, grid, eval")
    unknown = set(spec) - {"output_dir", "train", "mixes", "grid", "eval"}
    if unknown:
        raise LabtuneError(f"{path}: unknown key {sorted(unknown)[0]!r} "
                           "(expected output_dir, train, mixes, grid, eval)")
    train, mixes, grid, evaluation = (spec.get(k) or {} for k in ("train", "mixes", "grid", "eval"))
    for key, value in (("train", train), ("mixes", mixes), ("grid", grid), ("eval", evaluation)):
        if not isinstance(value, dict):
            raise LabtuneError(f"{path}: field {key}: expected a mapping")
    if not mixes:
        raise LabtuneError(f"{path}: field mixes: name at least one data mix (name: [data files])")
    for name, data in mixes.items():
        if not (isinstance(data, (list, str)) and data):
            raise LabtuneError(f"{path}: field mixes.{name}: expected a list of data files")
    for key, values in grid.items():
        if not isinstance(values, list) or not values:
            raise LabtuneError(f"{path}: field grid.{key}: expected a non-empty list of values")
    for key in ("data", "output_dir"):
        if key in train or key in grid:
            raise LabtuneError(f"{path}: field {key} is set by the grid (use mixes and output_dir)")
    if "questions" not in evaluation:
        raise LabtuneError(f"{path}: field eval.questions: the questions file is required")
    bad = set(evaluation) - EVAL_KEYS
    if bad:
        raise LabtuneError(f"{path}: field eval.{sorted(bad)[0]}: unknown (use {', '.join(sorted(EVAL_KEYS))})")
    output_dir = Path(spec.get("output_dir") or f"runs/{path.stem}")
    runs = []
    for mix, data in mixes.items():
        for values in itertools.product(*grid.values()):
            combo = dict(zip(grid.keys(), values))
            name = run_name(str(mix), combo)
            options = {**train, **combo, "data": [data] if isinstance(data, str) else list(data),
                       "output_dir": str(output_dir / name)}
            runs.append(GridRun(name, options))
    return Grid(path, output_dir, runs, evaluation)


def configs(grid: Grid) -> list:
    """Validated TrainConfigs, all checked before any training starts (a typo fails in a second)."""
    from labtune.train.config import load_config

    out = []
    for run in grid.runs:
        try:
            out.append(load_config(None, run.options))
        except LabtuneError as exc:
            raise LabtuneError(f"{grid.path}: run {run.name}: {exc}") from None
    return out


def already_trained(cfg) -> bool:
    """A finished run (labtune.json is written last) trained with this same config."""
    run = RunDir.find(cfg.output_dir)
    try:
        recorded = run.recorded_config if run else None
    except LabtuneError:  # an unreadable run.json: train again
        return False
    return bool(recorded) and type(cfg)(**recorded).identity() == cfg.identity()


def run_experiment(path: str | Path, retrain: bool = False, console: Console | None = None, train=None):
    """Train every combination (reusing finished ones), then evaluate them all in one table."""
    from labtune.eval.run import run_eval

    console = console or Console()
    grid = read_grid(path)
    cfgs = configs(grid)
    if train is None:
        from labtune.train.loop import train
    for i, (run, cfg) in enumerate(zip(grid.runs, cfgs), 1):
        if not retrain and already_trained(cfg):
            console.print(f"[{i}/{len(cfgs)}] {run.name}: already trained, reused")
            continue
        console.print(f"[bold][{i}/{len(cfgs)}] training {run.name}[/]")
        train(cfg.model_copy(update={"overwrite_output_dir": cfg.overwrite_output_dir or retrain}))
    ev = dict(grid.eval)
    settings = Settings(**{f.name: ev[f.name] for f in fields(Settings) if f.name in ev})
    general = ev.get("general")
    return run_eval([str(r.output_dir) for r in grid.runs], Path(ev["questions"]),
                    Path(general) if general else None, ev.get("match", "contains"), grid.output_dir / "eval",
                    settings, bool(ev.get("show_wrong")), skip_general=bool(ev.get("no_general")),
                    console=console, notes=Path(ev["notes"]) if ev.get("notes") else None,
                    closed_book=bool(ev.get("closed_book")), notes_k=int(ev.get("notes_k", 3)))
