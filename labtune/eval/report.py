"""Show and save a comparison: a rich table, eval.json and a bar chart PNG."""

from __future__ import annotations

import json
import os
from pathlib import Path

from rich.console import Console
from rich.table import Table

from labtune.eval.books import CLOSED
from labtune.eval.compare import ModelRow, short_name


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.0f}%"


def _change(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:+.1f}%"


def _seconds(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.0f}s" if value < 120 else f"{value / 60:.1f}min"


def _has_modes(rows: list[ModelRow]) -> bool:
    return any(row.mode != CLOSED for row in rows)


def comparison_table(rows: list[ModelRow], kinds: list[str], match: str) -> Table:
    """One row per model, or per model and mode with notes; columns nobody filled are left out."""
    modes = _has_modes(rows)
    ppl = any(row.general_perplexity is not None for row in rows)
    trained = any(row.train_seconds is not None for row in rows)
    title = ": closed-book, open-book and right note" if modes else (" and general perplexity" if ppl else "")
    table = Table(title=f"Knowledge accuracy ({match}){title}")
    table.add_column("model", no_wrap=True)
    if modes:
        table.add_column("mode", no_wrap=True)
    for kind in kinds:
        table.add_column(kind, justify="right")
    table.add_column("overall", justify="right", style="bold")
    if modes:
        table.add_column("s/question", justify="right")
    if ppl:
        table.add_column("general ppl", justify="right")
        table.add_column("ppl vs base", justify="right")
    if trained:
        table.add_column("train time", justify="right")
    for i, row in enumerate(rows):
        first = i == 0 or rows[i - 1].name != row.name
        cells = [short_name(row.name) + (" [dim](base)[/]" if row.is_base else "") if first else ""]
        cells += [row.mode] if modes else []
        cells += [_pct(row.accuracy.get(k)) for k in kinds] + [_pct(row.accuracy["overall"])]
        if modes:
            cells.append("—" if row.answer_seconds is None else f"{row.answer_seconds:.2f}")
        if ppl:
            cells += ["—" if row.general_perplexity is None else f"{row.general_perplexity:.2f}",
                      _change(row.perplexity_change)]
        if trained:
            cells.append(_seconds(row.train_seconds) if row.mode == CLOSED else "")
        table.add_row(*cells, end_section=modes and (i + 1 == len(rows) or rows[i + 1].name != row.name))
    return table


def retrieval_table(retrieval: dict, kinds: list[str]) -> Table:
    """hit@1 / hit@3: how often the right meeting's note was retrieved first / among the first three."""
    table = Table(title=f"Retrieval: right note ranked first (hit@1) or in the top 3 (hit@3), "
                        f"{retrieval['questions']} questions")
    table.add_column("", no_wrap=True)
    shown = [k for k in kinds if k in retrieval["hit@1"]]
    for kind in shown:
        table.add_column(kind, justify="right")
    table.add_column("overall", justify="right", style="bold")
    for metric in ("hit@1", "hit@3"):
        table.add_row(metric, *[_pct(retrieval[metric].get(k)) for k in shown + ["overall"]])
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


def _label(row: ModelRow, rows: list[ModelRow]) -> str:
    return short_name(row.name) + (f" {row.mode}" if _has_modes(rows) else "")


def print_wrong(console: Console, rows: list[ModelRow]) -> None:
    for row in rows:
        wrong = [r for r in row.results if not r.correct]
        console.print(f"[bold]{_label(row, rows)}[/]: {len(wrong)} wrong")
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


def _bars(axis, groups: list[str], series: dict[str, list[float]]) -> None:
    """Grouped bars on a 0-100 scale, the legend in one row above them."""
    width = 0.8 / max(len(series), 1)
    for j, (label, values) in enumerate(series.items()):
        axis.bar([i + j * width - 0.4 + width / 2 for i in range(len(groups))], values, width, label=label)
    axis.set_xticks(range(len(groups)), groups, rotation=20, ha="right")
    axis.set_ylim(0, 118)
    axis.set_yticks(range(0, 101, 20))
    axis.legend(fontsize="small", ncol=len(series), loc="upper center", frameon=False)


def write_chart(path: Path, rows: list[ModelRow], kinds: list[str], retrieval: dict | None = None) -> None:
    """Accuracy per kind and overall, one bar group per model (and mode); general perplexity change per
    model; with an index, retrieval hit@1 and hit@3 per kind."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [_label(r, rows).replace(" ", "\n", 1) if _has_modes(rows) else _label(r, rows) for r in rows]
    columns = kinds + ["overall"]
    closed = [r for r in rows if r.mode == CLOSED]
    forgetting = any(r.perplexity_change is not None for r in closed)
    ratios = [max(3, len(rows))] + ([max(2, len(closed))] if forgetting else []) + \
        ([max(2, len(columns))] if retrieval else [])
    fig, axes = plt.subplots(1, len(ratios), figsize=(max(8, 1.1 * sum(ratios) + 4), 4.8), squeeze=False,
                             gridspec_kw={"width_ratios": ratios})
    axes = list(axes[0])
    left = axes.pop(0)
    _bars(left, labels, {c: [100 * r.accuracy.get(c, 0.0) for r in rows] for c in columns})
    left.set_ylabel("accuracy (%)")
    left.set_title("knowledge accuracy")
    if forgetting:
        right = axes.pop(0)
        changes = [100 * (r.perplexity_change or 0.0) for r in closed]
        right.bar(range(len(closed)), changes, color=["tab:red" if c > 0 else "tab:green" for c in changes])
        right.axhline(0, color="black", linewidth=0.8)
        right.set_xticks(range(len(closed)), [short_name(r.name) for r in closed], rotation=20, ha="right")
        right.set_ylabel("general perplexity vs base (%)")
        right.set_title("forgetting (lower is better)")
    if retrieval:
        hits = axes.pop(0)
        shown = [k for k in columns if k in retrieval["hit@1"]]
        _bars(hits, shown, {m: [100 * retrieval[m][k] for k in shown] for m in ("hit@1", "hit@3")})
        hits.set_ylabel("questions (%)")
        hits.set_title("retrieval: right note found")
    fig.tight_layout()
    _atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=110))
    plt.close(fig)
