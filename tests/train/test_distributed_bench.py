"""benchmarks/gpu_fsdp.py in its tiny CPU mode, 2 ranks: the GPU script (labtune's own FSDP training and
save) must not crash on its first real try."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_gpu_fsdp_benchmark_tiny_mode_runs_trains_and_saves_on_cpu(tmp_path):
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
           str(REPO / "benchmarks" / "gpu_fsdp.py"), "--tiny", "--device", "cpu", "--out", str(tmp_path)]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    proc = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert summary["benchmark"] == "gpu_fsdp" and "error" not in summary
    assert summary["world_size"] == 2 and summary["steps"] == 3
    assert summary["tokens_per_s"] > 0 and summary["loss"] > 0
    assert summary["mfu_vs_h100_bf16"] is None  # no MFU claim for a CPU
    assert summary["save"]["ok"] and summary["save"]["reload_finite"] and summary["save"]["bytes"] > 0
    assert list(tmp_path.iterdir()) == []  # the temp model dir is removed at the end
