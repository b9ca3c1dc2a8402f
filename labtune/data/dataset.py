"""Mix data files into one training set: `PATH[:WEIGHT]` specs, exact-duplicate removal, seeded split.

Order of operations, so that no eval conversation is also trained on:
1. read every file (all problems are reported together unless `skip_invalid`);
2. drop exact duplicates (same roles and contents), keeping the first occurrence across all files;
3. weight < 1: keep that fraction of the file's unique conversations (seeded sample);
4. split the kept conversations into train/eval (`eval_fraction`, seeded);
5. weight >= 1: repeat the file's train conversations int(weight) times, plus a seeded sample of
   the fractional part (weight 2.5 = everything twice, plus half once more); then shuffle train.
"""

from __future__ import annotations

import logging
import math
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

from labtune.data.conversation import Conversation
from labtune.data.readers import problems_error, read_file
from labtune.data.records import first_turns_left_out
from labtune.errors import DataError, LabtuneError

# Only a trailing `:<number>` is a weight, so `C:\data\x.json` and `a:b.json` stay paths.
_WEIGHT = re.compile(r"^(?P<path>.+):(?P<weight>\d+(?:\.\d*)?|\.\d+)$")
log = logging.getLogger(__name__)


@dataclass
class FileReport:
    path: str
    format: str
    weight: float
    records: int  # records in the file
    invalid: int  # skipped with --skip-invalid
    duplicates: int  # exact duplicates removed (within the file or of an earlier file)
    kept: int = 0  # unique conversations after the fraction sample
    train: int = 0  # after repetition
    eval: int = 0


@dataclass
class DatasetSplit:
    train: list[Conversation]
    eval: list[Conversation]
    files: list[FileReport] = field(default_factory=list)
    problems: list[DataError] = field(default_factory=list)  # records skipped, with reasons

    @property
    def duplicates(self) -> int:
        return sum(f.duplicates for f in self.files)

    @property
    def skipped(self) -> int:
        return len(self.problems)

    def report(self) -> dict:
        return {"files": [vars(f) for f in self.files], "train": len(self.train), "eval": len(self.eval),
                "duplicates_removed": self.duplicates, "skipped_invalid": self.skipped,
                "skipped_reasons": [str(p) for p in self.problems]}


def parse_spec(spec: str) -> tuple[str, float]:
    """`PATH[:WEIGHT]` -> (path, weight). A path that exists as written is never split."""
    spec = str(spec)
    match = _WEIGHT.match(spec)
    if match is None or Path(spec).exists():
        return spec, 1.0
    weight = float(match["weight"])
    if weight <= 0:
        raise LabtuneError(f"{spec}: weight must be greater than 0")
    return match["path"], weight


def load_dataset(specs: list[str], format: str | None = None, skip_invalid: bool = False,
                 eval_fraction: float = 0.0, seed: int = 0) -> DatasetSplit:
    if not specs:
        raise LabtuneError("no data files given")
    if not 0.0 <= eval_fraction < 1.0:
        raise LabtuneError(f"eval fraction must be in [0, 1), got {eval_fraction}")
    rng = random.Random(seed)
    seen: set[tuple] = set()
    problems: list[DataError] = []
    per_file: list[tuple[FileReport, list[Conversation]]] = []
    for spec in specs:
        path, weight = parse_spec(spec)
        result = read_file(path, format, skip_invalid=True)
        problems.extend(result.problems)
        unique = []
        for conv in result.conversations:
            if conv.key() not in seen:
                seen.add(conv.key())
                unique.append(conv)
        report = FileReport(path, result.format, weight, result.records, len(result.problems),
                            len(result.conversations) - len(unique))
        if weight < 1:
            unique = rng.sample(unique, round(len(unique) * weight))
        report.kept = len(unique)
        per_file.append((report, unique))
    if problems and not skip_invalid:
        raise problems_error(problems)
    if problems:
        log.warning("%s", problems_error(problems, hint="skipped (--skip-invalid)"))

    pool = [(i, conv) for i, (_, convs) in enumerate(per_file) for conv in convs]
    if opened_by_assistant := sum("left_out" in conv.meta for _, conv in pool):
        log.warning("%s", first_turns_left_out(opened_by_assistant))
    if not pool:
        raise LabtuneError("no valid conversations in " + ", ".join(r.path for r, _ in per_file))
    rng.shuffle(pool)
    n_eval = round(len(pool) * eval_fraction)
    if eval_fraction > 0 and len(pool) >= 2:
        n_eval = min(max(n_eval, 1), len(pool) - 1)  # a requested eval set is never empty, train neither
    eval_part, train_part = pool[:n_eval], pool[n_eval:]

    train: list[Conversation] = []
    for i, (report, _) in enumerate(per_file):
        mine = [conv for j, conv in train_part if j == i]
        report.eval = sum(1 for j, _ in eval_part if j == i)
        repeated = mine * math.floor(report.weight) if report.weight >= 1 else list(mine)
        if report.weight > 1:
            repeated += rng.sample(mine, round(len(mine) * (report.weight - math.floor(report.weight))))
        report.train = len(repeated)
        train.extend(repeated)
    rng.shuffle(train)
    return DatasetSplit(train, [conv for _, conv in eval_part], [r for r, _ in per_file], problems)
