"""CLI: `labtune experiment GRID.yaml`. Parsing only; the work is in labtune/experiment.py."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer, data_app: typer.Typer) -> None:
    @app.command("experiment")
    def experiment_command(
        grid: Path = typer.Argument(..., help="Grid YAML: output_dir, train, mixes, grid, eval."),
        retrain: bool = typer.Option(False, "--retrain", help="Train every run again, even finished ones."),
    ) -> None:
        """Train each data mix x hyperparameter combination, then evaluate all in one table and chart."""
        from labtune.experiment import run_experiment

        run_experiment(grid, retrain)
