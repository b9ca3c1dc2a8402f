"""The run directory: the one module that knows its layout. Training writes it, everything else reads it.

```
runs/NAME/
  labtune.json     what makes it a run: template, base model, kind (written last, so its presence
                   means the weights are complete)
  run.json         the record: config, versions, data hashes, timings, device, allocator
  model/           HF model directory (full fine-tune, or a merged LoRA)
  adapter/         PEFT adapter on `base_model` (LoRA)
  index/           the notes' retrieval index (labtune.retrieval), for open-book answers
  config.yaml      the resolved training config, for `labtune train config.yaml` and resume
  checkpoint-N/    resumable training state
  metrics.jsonl, loss.png, tensorboard/
  learn-data.json  `labtune learn`: the conversations it trained on (ShareGPT)
  self-check.jsonl `labtune learn`: the held-out questions it made from the notes (never trained on)
  report.json, report.png   `labtune learn`: what it read, trained, and how the run answers
```
"""

from __future__ import annotations

import json
import os
from functools import cached_property
from pathlib import Path

from labtune.errors import LabtuneError

META = "labtune.json"
RECORD = "run.json"
CONFIG = "config.yaml"
METRICS = "metrics.jsonl"
MODEL = "model"
ADAPTER = "adapter"
INDEX = "index"
LEARN_DATA = "learn-data.json"
SELF_CHECK = "self-check.jsonl"
REPORT = "report.json"
REPORT_PLOT = "report.png"
# What a run writes; cleared when a run starts afresh in an existing output directory.
ARTEFACTS = (MODEL, ADAPTER, "tensorboard", METRICS, "loss.png", RECORD, META, CONFIG)


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise LabtuneError(f"{path}: invalid JSON at line {exc.lineno} column {exc.colno}") from None
    except OSError as exc:
        raise LabtuneError(f"{path}: cannot read ({exc.strerror})") from None


def write_json_atomic(path: Path, data: dict) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, default=str), encoding="utf-8")
    os.replace(tmp, path)


class RunDir:
    """A directory written by `labtune train` (or `labtune learn`)."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    @classmethod
    def find(cls, name: str | os.PathLike) -> RunDir | None:
        """The run at `name`, or None when `name` is not a run directory (a model name or path)."""
        run = cls(name)
        return run if run.is_run else None

    @property
    def is_run(self) -> bool:
        return (self.path / META).is_file()

    @property
    def name(self) -> str:
        return self.path.resolve().name

    @cached_property
    def meta(self) -> dict:
        return _read_json(self.path / META)

    @cached_property
    def record(self) -> dict:
        """run.json, or {} for a run without one."""
        return _read_json(self.path / RECORD) if (self.path / RECORD).is_file() else {}

    @property
    def base_model(self) -> str | None:
        return self.meta.get("base_model")

    @property
    def template_spec(self):
        """A registry name, "tokenizer", or {"jinja": source, "name": ..., "eot": ...}."""
        return self.meta.get("template", "tokenizer")

    @property
    def model_dir(self) -> Path | None:
        return self.path / MODEL if (self.path / MODEL).is_dir() else None

    @property
    def adapter_dir(self) -> Path | None:
        return self.path / ADAPTER if (self.path / ADAPTER).is_dir() else None

    @property
    def index_dir(self) -> Path:
        """Where the run's notes index lives (it may not exist: check `has_index`)."""
        return self.path / INDEX

    @property
    def has_index(self) -> bool:
        return (self.index_dir / "index.json").is_file()

    @property
    def answering(self) -> dict:
        """How `labtune learn` measured the run answering its held-out self-check, from its weights and
        with its notes: {"mode": "closed-book" | "open-book", "closed_book": share, "open_book": share,
        "questions": n}; {} for a run it did not measure. The report only informs how the run answers:
        one that cannot be read, or an `answering` without these fields, counts as not measured (the
        run then answers open-book, as it would without a report) rather than stopping chat or serve."""
        try:
            answering = _read_json(self.path / REPORT).get("answering") if (self.path / REPORT).is_file() else None
        except (LabtuneError, AttributeError):  # invalid JSON, or JSON that is not an object
            return {}
        if not isinstance(answering, dict) or answering.get("mode") not in ("closed-book", "open-book"):
            return {}
        shares = (answering.get("closed_book"), answering.get("open_book"), answering.get("questions"))
        return answering if all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in shares) else {}

    def require_weights(self) -> None:
        if self.model_dir is None and self.adapter_dir is None:
            raise LabtuneError(f"{self.path}: run has neither {MODEL}/ nor {ADAPTER}/ (did training finish?)")

    @property
    def train_seconds(self) -> float | None:
        """Training wall time as the trainer recorded it: run.json timings.train_s (or labtune.json)."""
        try:
            record = self.record
        except LabtuneError:
            record = {}
        for value in ((record.get("timings") or {}).get("train_s"), self.meta.get("train_seconds")):
            if isinstance(value, (int, float)):
                return float(value)
        return None

    @property
    def recorded_config(self) -> dict:
        return self.record.get("config") or {}

    def weight_files_roots(self) -> list[Path]:
        """The run's own files that identify its weights (the base model is added by callers)."""
        return [p for p in (self.path / MODEL, self.path / ADAPTER, self.path / META) if p.exists()]

    # --- writing (training only) ---------------------------------------------------------------

    def write_meta(self, meta: dict) -> None:
        """labtune.json, last: its presence is what makes the run loadable."""
        write_json_atomic(self.path / META, meta)
        self.__dict__.pop("meta", None)

    def write_record(self, record: dict) -> None:
        write_json_atomic(self.path / RECORD, record)
        self.__dict__.pop("record", None)
