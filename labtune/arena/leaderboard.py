"""`labtune leaderboard`: the table, `leaderboard.json` and `leaderboard.png` from a votes database."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from labtune.arena import ratings
from labtune.arena.votes import Vote
from labtune.errors import LabtuneError

JSON_NAME, PNG_NAME = "leaderboard.json", "leaderboard.png"


def build(votes: list[Vote], rounds: int = 1000, seed: int = 0) -> dict:
    """Everything the leaderboard shows, as plain JSON-able data, rows best first (by Bradley-Terry)."""
    battles = [v.battle for v in votes]
    if not battles:
        raise LabtuneError("no votes to rate (with the chosen --votes filter)")
    models = ratings.models_of(battles)
    if len(models) < 2:
        raise LabtuneError(f"the votes name only one model ({models[0]}); a rating needs two")
    bt = ratings.bradley_terry(battles)
    elo = ratings.online_elo(battles)
    boot_models, samples = ratings.bootstrap_bradley_terry(battles, rounds, seed)
    lower = dict(zip(boot_models, np.quantile(samples, 0.025, axis=0).tolist()))
    upper = dict(zip(boot_models, np.quantile(samples, 0.975, axis=0).tolist()))
    ranks = ratings.interval_ranks(lower, upper)
    counts = ratings.pair_counts(battles, models)
    fraction = ratings.win_fraction(counts)
    unbounded = set(ratings.unbounded(battles))
    order = sorted(models, key=lambda m: -bt[m])
    rows = []
    for m in order:
        totals = {k: sum(c[k] for c in counts[m].values()) for k in ("wins", "losses", "ties")}
        votes_m = sum(totals.values())
        rows.append({"model": m, "rank": ranks[m], "bradley_terry": bt[m], "ci_low": lower[m], "ci_high": upper[m],
                     "elo": elo[m], "votes": votes_m, **totals,
                     "win_rate": totals["wins"] / (totals["wins"] + totals["losses"]) if totals["wins"] + totals["losses"] else None,
                     "unbounded": m in unbounded})
    return {"votes": len(battles), "judge_votes": sum(v.judge for v in votes), "people_votes": sum(not v.judge for v in votes),
            "bootstrap_rounds": rounds, "seed": seed, "models": order, "rows": rows,
            "win_fraction": {m: {o: fraction[m][o] for o in order if o != m} for m in order},
            "pair_votes": {m: {o: sum(counts[m][o].values()) for o in order if o != m} for m in order},
            "method": {"elo": f"online, K={ratings.K}, start {ratings.INIT_RATING}, votes in time order",
                       "bradley_terry": "maximum likelihood, mean 1000, 400 points = 10x odds; 95% interval: "
                                        f"{rounds} bootstrap resamplings of the votes",
                       "ties": "half a win for each side (both bad too)",
                       "win_fraction": "row beats column over the votes with a winner (ties left out)"}}


def table(board: dict):
    from rich.table import Table

    out = Table(title=f"labtune leaderboard: {board['votes']} votes ({board['people_votes']} by people, "
                      f"{board['judge_votes']} by judges)",
                caption=f"rating: Bradley-Terry maximum likelihood, mean 1000, 95% interval from {board['bootstrap_rounds']} "
                        f"bootstrap rounds; Elo: online, K={ratings.K}; a tie counts half", caption_justify="left")
    for name in ("rank", "model", "rating", "95% CI", "Elo", "votes", "W-L-T", "win rate"):
        out.add_column(name, justify="left" if name == "model" else "right", no_wrap=name != "model")
    for row in board["rows"]:
        out.add_row(str(row["rank"]), row["model"] + (" *" if row["unbounded"] else ""),
                    f"{row['bradley_terry']:.0f}", f"{row['ci_low']:.0f}-{row['ci_high']:.0f}",
                    f"{row['elo']:.0f}", str(row["votes"]), f"{row['wins']}-{row['losses']}-{row['ties']}",
                    "-" if row["win_rate"] is None else f"{row['win_rate']:.0%}")
    return out


def matrix_table(board: dict):
    from rich.table import Table

    out = Table(title="row beats column: share of the votes with a winner (votes between them)")
    out.add_column("")
    for m in board["models"]:
        out.add_column(m, justify="right")
    for m in board["models"]:
        cells = []
        for o in board["models"]:
            if o == m:
                cells.append("")
                continue
            share, n = board["win_fraction"][m][o], board["pair_votes"][m][o]
            cells.append(f"{'-' if share is None else format(share, '.0%')} ({n})")
        out.add_row(m, *cells)
    return out


def write(board: dict, out_dir: str | Path) -> tuple[Path, Path]:
    """leaderboard.json and leaderboard.png in `out_dir`, each written to a temp name then renamed."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    json_path, png_path = out / JSON_NAME, out / PNG_NAME
    tmp_json, tmp_png = out / f".{JSON_NAME}.tmp{os.getpid()}", out / f".{PNG_NAME}.tmp{os.getpid()}.png"
    try:
        tmp_json.write_text(json.dumps(board, indent=1), encoding="utf-8")
        plot(board, tmp_png)
        os.replace(tmp_json, json_path)
        os.replace(tmp_png, png_path)
    finally:
        for tmp in (tmp_json, tmp_png):
            tmp.unlink(missing_ok=True)
    return json_path, png_path


def plot(board: dict, path: Path) -> None:
    """Left: Bradley-Terry ratings with their 95% intervals; right: the win-fraction matrix."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows, models = board["rows"], board["models"]
    n = len(models)
    fig, (left, right) = plt.subplots(1, 2, figsize=(6 + 1.2 * n, 3 + 0.5 * n), dpi=100)
    try:
        x = np.arange(n)
        centre = np.array([r["bradley_terry"] for r in rows])
        low, high = np.array([r["ci_low"] for r in rows]), np.array([r["ci_high"] for r in rows])
        left.errorbar(x, centre, yerr=[np.maximum(centre - low, 0), np.maximum(high - centre, 0)], fmt="o", capsize=4)
        for xi, value in zip(x, centre):
            left.annotate(f"{value:.0f}", (xi, value), textcoords="offset points", xytext=(8, 0), fontsize=8)
        left.set_xticks(x, models, rotation=30, ha="right")
        left.set_ylabel("Bradley-Terry rating (95% interval)")
        left.set_title(f"{board['votes']} votes")
        grid = np.array([[np.nan if o == m or board["win_fraction"][m][o] is None else board["win_fraction"][m][o]
                          for o in models] for m in models])
        right.imshow(grid, cmap="RdBu", vmin=0, vmax=1)
        for i in range(n):
            for j in range(n):
                if not np.isnan(grid[i, j]):
                    right.text(j, i, f"{grid[i, j]:.2f}", ha="center", va="center", fontsize=8)
        right.set_xticks(range(n), models, rotation=30, ha="right")
        right.set_yticks(range(n), models)
        right.set_xlabel("model B")
        right.set_ylabel("model A")
        right.set_title("fraction of A wins (ties left out)")
        fig.tight_layout()
        fig.savefig(path, format="png")
    finally:
        plt.close(fig)
