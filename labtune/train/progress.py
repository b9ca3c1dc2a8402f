"""What the user sees while training: a rich progress bar (loss, lr, tokens/s, ETA) or, with --quiet, log lines."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, \
    TimeRemainingColumn


class TrainProgress:
    def __init__(self, total: int, start: int, quiet: bool, enabled: bool = True):
        self.console = Console(stderr=True)
        self.quiet, self.enabled = quiet, enabled
        self._bar = None
        if enabled and not quiet:
            self._bar = Progress(TextColumn("[bold]train"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.fields[stats]}"), TimeElapsedColumn(), TextColumn("eta"),
                                 TimeRemainingColumn(), console=self.console, transient=False)
            self._task = self._bar.add_task("train", total=total, completed=start, stats="")
            self._bar.start()

    def info(self, message: str) -> None:
        if self.enabled:
            self.console.print(message, highlight=False, soft_wrap=True)

    def warn(self, message: str) -> None:
        if self.enabled:
            self.console.print(f"[yellow]warning:[/] {message}", highlight=False, soft_wrap=True)

    def step(self, row: dict, log: bool) -> None:
        if not self.enabled:
            return
        stats = f"loss {row['loss']:.4f}  lr {row['lr']:.2e}  {row['tokens_per_s']:.0f} tok/s"
        if self._bar is not None:
            self._bar.update(self._task, completed=row["step"], stats=stats)
        elif log:
            self.console.print(f"step {row['step']}/{row['total_steps']}  {stats}  grad_norm "
                               f"{row['grad_norm']:.3f}", highlight=False)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
