"""Show and save a comparison: a rich table, eval.json and a bar chart PNG."""

from __future__ import annotations

import json
import os
from pathlib import Path

from rich.console import Console
from rich.table import Table

from labtune.eval.compare import ModelRow, short_name


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.0f}%"


def _change(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:+.1f}%"


def _seconds(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.0f}s" if value < 120 else f"{value / 60:.1f}min"


def comparison_table(rows: list[ModelRow], kinds: list[str], match: str) -> Table:
    table = Table(title=f"Knowledge accuracy ({match}) and general perplexity")
    table.add_column("model", no_wrap=True)
    for kind in kinds:
        table.add_column(kind, justify="right")
    table.add_column("overall", justify="right", style="bold")
    table.add_column("general ppl", justify="right")
    table.add_column("ppl vs base", justify="right")
    table.add_column("train time", justify="right")
    for row in rows:
        name = short_name(row.name) + (" [dim](base)[/]" if row.is_base else "")
        ppl = "—" if row.general_perplexity is None else f"{row.general_perplexity:.2f}"
        table.add_row(name, *[_pct(row.accuracy.get(k)) for k in kinds], _pct(row.accuracy["overall"]), ppl,
                      _change(row.perplexity_change), _seconds(row.train_seconds))
    return table


def general_answers_table(rows: list[ModelRow], prompts: list[str], width: int = 60) -> Table:
    """General questions answered by each model side by side: what tuning kept and what it broke."""
    table = Table(title="General questions, side by side", show_lines=True)
    table.add_column("question", max_width=40)
    for row in rows:
        table.add_column(short_name(row.name), max_width=width)
    for i, prompt in enumerate(prompts):
        table.add_row(prompt, *[row.general_answers[i] if i < len(row.general_answers) else "" for row in rows])
    return table


def print_wrong(console: Console, rows: list[ModelRow]) -> None:
    for row in rows:
        wrong = [r for r in row.results if not r.correct]
        console.print(f"[bold]{short_name(row.name)}[/]: {len(wrong)} wrong")
        for r in wrong:
            console.print(f"  Q: {r.question}\n  expected: {' | '.join(r.answers)}\n  got: {r.answer!r}",
                          highlight=False)


def _atomic_write(path: Path, write) -> None:
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}{path.suffix}")
    write(tmp)
    os.replace(tmp, path)


def write_json(path: Path, rows: list[ModelRow], info: dict) -> None:
    payload = {**info, "models": [row.to_dict() for row in rows]}
    _atomic_write(path, lambda tmp: tmp.write_text(json.dumps(payload, indent=2, ensure_ascii=False),
                                                   encoding="utf-8"))


def write_chart(path: Path, rows: list[ModelRow], kinds: list[str]) -> None:
    """Left: accuracy per kind and overall, one bar group per model. Right: general perplexity change."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [short_name(r.name) for r in rows]
    columns = kinds + ["overall"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(max(8, 2.2 * len(rows) + 4), 4.5),
                                      gridspec_kw={"width_ratios": [3, 2]})
    width = 0.8 / len(columns)
    for j, column in enumerate(columns):
        values = [100 * r.accuracy.get(column, 0.0) for r in rows]
        left.bar([i + j * width - 0.4 + width / 2 for i in range(len(rows))], values, width, label=column)
    left.set_xticks(range(len(rows)), labels, rotation=20, ha="right")
    left.set_ylabel("accuracy (%)")
    left.set_ylim(0, 100)
    left.set_title("knowledge accuracy")
    left.legend(fontsize="small")
    changes = [100 * (r.perplexity_change or 0.0) for r in rows]
    right.bar(range(len(rows)), changes, color=["tab:red" if c > 0 else "tab:green" for c in changes])
    right.axhline(0, color="black", linewidth=0.8)
    right.set_xticks(range(len(rows)), labels, rotation=20, ha="right")
    right.set_ylabel("general perplexity vs base (%)")
    right.set_title("forgetting (lower is better)")
    fig.tight_layout()
    _atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=110))
    plt.close(fig)
