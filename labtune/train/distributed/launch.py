"""`labtune train --nproc N`: run the same command under torchrun with N processes on this machine.

The config is handed over as a YAML file (the one source of truth), so the N processes train exactly
what the user asked for. For several machines use torchrun directly (docs/distributed.md).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from labtune.errors import LabtuneError
from labtune.train.config import TrainConfig
from labtune.train.distributed.process import ERROR_DIR_ENV


def torchrun_command(config_file: Path, nproc: int) -> list[str]:
    # --standalone: a local rendezvous on a free port, so two runs on one machine do not collide.
    return [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}",
            "-m", "labtune", "train", str(config_file)]


def launch(cfg: TrainConfig) -> None:
    """Run `cfg` on `cfg.nproc` local processes; a user error on any rank is raised here as one line."""
    with tempfile.TemporaryDirectory(prefix="labtune-launch-") as tmp:
        config_file = Path(tmp) / "config.yaml"
        config_file.write_text(cfg.model_copy(update={"nproc": None}).to_yaml(), encoding="utf-8")
        errors = Path(tmp) / "errors"
        errors.mkdir()
        env = {**os.environ, ERROR_DIR_ENV: str(errors)}
        rc = subprocess.run(torchrun_command(config_file, cfg.nproc), env=env).returncode
        if rc == 0:
            return
        reported = sorted(errors.glob("rank*.txt"))
        if reported:
            raise LabtuneError(reported[0].read_text(encoding="utf-8"))
        raise SystemExit(rc)
