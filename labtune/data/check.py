"""`labtune data check`: what the model will actually see and learn from each file, before training.

Counts come from the same `read_file` -> template -> `encode` path that training uses, so a file
that checks clean here trains without surprises (truncation, fully masked samples, bad records).
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from labtune.data.conversation import Conversation
from labtune.data.readers import problems_error, read_file
from labtune.data.records import first_turns_left_out
from labtune.data.templates import ChatTemplate
from labtune.data.tokenize import Encoded, encode
from labtune.errors import DataError, where

PERCENTILES = (50, 90, 99)


@dataclass
class Stats:
    """Counts for one file, or for all files together."""

    path: str
    format: str
    records: int = 0
    valid: int = 0
    invalid: int = 0
    duplicates: int = 0  # exact copies of an earlier record (training drops them)
    turns: int = 0  # user + assistant messages
    tokens: int = 0  # after truncation at model_max_length
    trainable_tokens: int = 0
    truncated: int = 0
    fully_masked: int = 0  # no trainable token left: training drops them
    first_turn_left_out: int = 0  # ShareGPT records opening with the assistant's turn: left out, as FastChat does
    lengths: dict = field(default_factory=dict)  # token length before truncation: p50/p90/p99/max
    problems: list[str] = field(default_factory=list)
    _lengths: list[int] = field(default_factory=list, repr=False)

    def add(self, other: "Stats") -> None:
        for name in ("records", "valid", "invalid", "duplicates", "turns", "tokens", "trainable_tokens",
                     "truncated", "fully_masked", "first_turn_left_out"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self._lengths.extend(other._lengths)
        self.problems.extend(other.problems)

    def finish(self) -> "Stats":
        self.lengths = length_summary(self._lengths)
        return self

    def to_dict(self) -> dict:
        data = asdict(self)
        data.pop("_lengths")
        return data


def length_summary(lengths: list[int]) -> dict:
    if not lengths:
        return {}
    ordered = sorted(lengths)
    summary = {f"p{p}": ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] for p in PERCENTILES}
    return {**summary, "max": ordered[-1], "mean": round(statistics.fmean(ordered), 1)}


@dataclass
class CheckReport:
    files: list[Stats]
    total: Stats
    template: str
    model: str
    model_max_length: int
    example: Conversation | None
    problems: list[DataError]

    def to_dict(self, template: ChatTemplate) -> dict:
        example = None
        if self.example is not None:
            example = {"source": where(self.example.source, self.example.index, self.example.id),
                       "segments": [{"text": s.text, "trainable": s.trainable}
                                    for s in template.segments(self.example)]}
        return {"template": self.template, "model": self.model, "model_max_length": self.model_max_length,
                "files": [f.to_dict() for f in self.files], "total": self.total.to_dict(), "example": example}


def check_files(paths: list[str], template: ChatTemplate, tokenizer, model: str, model_max_length: int,
                format: str | None = None) -> CheckReport:
    """Read, encode and count every file; invalid records are counted and listed, not raised."""
    seen: set[tuple] = set()
    files, problems, example = [], [], None
    for path in paths:
        result = read_file(path, format, skip_invalid=True)
        stats = Stats(str(path), result.format, records=result.records, valid=len(result.conversations),
                      invalid=len(result.problems), problems=[str(p) for p in result.problems])
        problems.extend(result.problems)
        for conv in result.conversations:
            if conv.key() in seen:
                stats.duplicates += 1
            seen.add(conv.key())
            _count(stats, conv, template, tokenizer, model_max_length)
        files.append(stats.finish())
        if example is None and result.conversations:
            example = result.conversations[0]
    total = Stats("total", ",".join(sorted({f.format for f in files})))
    for stats in files:
        total.add(stats)
    return CheckReport(files, total.finish(), template.name, model, model_max_length, example, problems)


def _count(stats: Stats, conv: Conversation, template: ChatTemplate, tokenizer, max_length: int) -> None:
    enc = encode(conv, template, tokenizer)  # untruncated, so the length percentiles show what is cut
    kept = Encoded(enc.input_ids[:max_length], enc.labels[:max_length])  # what training keeps
    trainable = kept.trainable_tokens
    stats.turns += len(conv.turns)
    stats._lengths.append(len(enc.input_ids))
    stats.tokens += min(len(enc.input_ids), max_length)
    stats.trainable_tokens += trainable
    stats.truncated += len(enc.input_ids) > max_length
    stats.fully_masked += not kept.learnable
    stats.first_turn_left_out += "left_out" in conv.meta


def highlighted(conv: Conversation, template: ChatTemplate) -> Text:
    """The rendered text with trainable spans (what the model learns to write) highlighted."""
    text = Text()
    for seg in template.segments(conv):
        text.append(seg.text, style="bold black on green" if seg.trainable else "dim")
    return text


def print_report(report: CheckReport, template: ChatTemplate, console: Console) -> None:
    """One column per file (and a total): fits a terminal however long the paths are."""
    columns = report.files + ([report.total] if len(report.files) > 1 else [])
    console.print(f"template {report.template}, model {report.model}, model_max_length {report.model_max_length}",
                  highlight=False)
    table = Table()
    table.add_column("")
    for s in columns:
        table.add_column(Path(s.path).name if s is not report.total else "total", justify="right",
                         style="bold" if s is report.total else None)
    rows = [("format", lambda s: s.format), ("records", lambda s: s.records), ("invalid", lambda s: _warn(s.invalid)),
            ("duplicates", lambda s: s.duplicates), ("turns", lambda s: s.turns), ("tokens", lambda s: s.tokens),
            ("trainable tokens", lambda s: s.trainable_tokens),
            ("length p50/90/99/max", lambda s: "/".join(str(s.lengths.get(k, "-")) for k in ("p50", "p90", "p99", "max"))),
            ("truncated", lambda s: _warn(s.truncated)), ("fully masked", lambda s: _warn(s.fully_masked)),
            ("first turn left out", lambda s: _warn(s.first_turn_left_out))]
    for label, value in rows:
        table.add_row(label, *[v if isinstance(v := value(s), Text) else str(v) for s in columns])
    console.print(table)
    if len(report.files) > 1 or any(Path(s.path).name != s.path for s in report.files):
        for s in report.files:
            console.print(f"  {Path(s.path).name}: {s.path}", style="dim", highlight=False)
    if report.problems:
        console.print(problems_error(report.problems, hint="--skip-invalid drops them").args[0],
                      style="red", highlight=False, markup=False, soft_wrap=True)
    if report.total.fully_masked:
        console.print(f"{report.total.fully_masked} samples have no trainable token left after truncation at "
                      f"{report.model_max_length} tokens: training drops them", style="yellow")
    if report.total.first_turn_left_out:
        console.print(first_turns_left_out(report.total.first_turn_left_out), style="yellow", highlight=False)
    if report.example is not None:
        ex = report.example
        console.rule(f"example: {where(ex.source, ex.index, ex.id)} (highlighted = trained on)")
        console.print(highlighted(ex, template))
        console.rule()


def _warn(count: int) -> Text:
    return Text(str(count), style="yellow" if count else "")
