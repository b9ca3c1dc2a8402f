"""The same recipe on 1 process and on 2 (gloo, CPU): DDP and FSDP follow the single-process run.

Each torchrun launch costs ~10 s of interpreter start-up on 2 ranks, so the runs are shared by
module-scoped fixtures and each launch checks as much as it can.
"""

from __future__ import annotations

import json
import re
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
import yaml
from safetensors.torch import load_file

from labtune.train.loop import train
from labtune.train.metrics import read_metrics

REPO = Path(__file__).resolve().parents[2]


def _write_chats():
    """tests/train/conftest.py's data writer (conftest modules are not importable by name)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("train_conftest", Path(__file__).with_name("conftest.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.write_chats


write_chats = _write_chats()
WORKER = Path(__file__).with_name("test_distributed_worker.py")
TORCHRUN = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]


def run(cmd: list[str], timeout: int = 240) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    return subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)


def failure(proc: subprocess.CompletedProcess) -> str:
    """What a failed launch said: each rank's last lines (the rank that failed first is often reported
    above the others' and torchrun's tracebacks), then the end of stderr."""
    per_rank: dict[str, list[str]] = {}
    for line in proc.stderr.splitlines():
        if match := re.match(r"\[rank(\d+)\]:", line):
            per_rank.setdefault(match.group(1), []).append(line)
    return "\n...\n".join(["\n".join(lines[-25:]) for _, lines in sorted(per_rank.items())] + [proc.stderr[-1500:]])


def results(proc: subprocess.CompletedProcess) -> list[dict]:
    # Each rank writes whole lines; still parse by marker, not by line, in case two arrive glued together.
    decoder = json.JSONDecoder()
    return [decoder.raw_decode(proc.stdout, match.end())[0] for match in re.finditer(r"RESULT ", proc.stdout)]


def losses(out: Path) -> list[float]:
    return [r["loss"] for r in read_metrics(out) if "loss" in r]


def weights(out: Path) -> dict[str, torch.Tensor]:
    return load_file(out / "model" / "model.safetensors")


def assert_same_weights(a: Path, b: Path, atol: float) -> None:
    wa, wb = weights(a), weights(b)
    assert wa.keys() == wb.keys()
    for name in wa:
        torch.testing.assert_close(wb[name], wa[name], atol=atol, rtol=0, msg=name)


@pytest.fixture(scope="module")
def recipe(tmp_path_factory, tiny_model_dir) -> dict:
    """Full fine-tune of the tiny model: 16 chats, 2 epochs, 2 optimizer steps per epoch, lr high
    enough that a wrong gradient shows in the weights. The global batch is 4 x 2 windows on 1 process
    and 2 per rank x 2 ranks x 2 windows on 2. The pull toward the base (`decay_to_base`) is on, so
    every comparison with one process also checks it on DDP's replicas, FSDP's shards and a resume."""
    data = write_chats(tmp_path_factory.mktemp("data") / "chats.json", 16)
    return dict(model=str(tiny_model_dir), data=[str(data)], per_device_train_batch_size=2,
                gradient_accumulation_steps=2, num_train_epochs=2, learning_rate=1e-3, warmup_ratio=0.0,
                save_steps=2, quiet=True, seed=7, decay_to_base=50.0)


# dropout 0: the masks depend on how the batch is split, everything else must not.
LORA = dict(lora=True, lora_r=4, lora_dropout=0.0, learning_rate=1e-2, merge=True)


def write_config(path: Path, values: dict) -> Path:
    path.write_text(yaml.safe_dump(values), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def single(recipe, tmp_path_factory) -> Path:
    from labtune.train.config import TrainConfig

    out = tmp_path_factory.mktemp("single") / "run"
    return train(TrainConfig(**{**recipe, "per_device_train_batch_size": 4, "output_dir": str(out)}))


@pytest.fixture(scope="module")
def fsdp(recipe, tmp_path_factory) -> Path:
    """`torchrun -m labtune train CONFIG` with the default strategy (fsdp for full fine-tuning)."""
    tmp = tmp_path_factory.mktemp("fsdp")
    config = write_config(tmp / "config.yaml", {**recipe, "output_dir": str(tmp / "run")})
    proc = run([*TORCHRUN, "-m", "labtune", "train", str(config)])
    assert proc.returncode == 0, failure(proc)
    return tmp / "run"


def test_fsdp_follows_single_process_and_saves_the_same_model(single, fsdp):
    assert len(losses(fsdp)) == len(losses(single)) == 4
    assert losses(fsdp) == pytest.approx(losses(single), abs=1e-5)
    assert_same_weights(single, fsdp, atol=1e-5)
    run_info = json.loads((fsdp / "run.json").read_text())
    assert run_info["world_size"] == 2
    assert (fsdp / "labtune.json").is_file() and not list(fsdp.glob(".*tmp*"))
    # the checkpoint holds full (gathered) tensors, not one rank's shard
    ckpt = load_file(fsdp / "checkpoint-4" / "trainable.safetensors")
    assert ckpt["model.embed_tokens.weight"].shape == weights(fsdp)["model.embed_tokens.weight"].shape


def test_one_process_refuses_to_resume_a_torchrun_checkpoint(fsdp, recipe, tmp_path):
    import shutil

    from labtune.errors import LabtuneError
    from labtune.train.config import TrainConfig

    shutil.copytree(fsdp, tmp_path / "run")
    with pytest.raises(LabtuneError, match="written under torchrun; resume it with the same number of processes"):
        train(TrainConfig(**{**recipe, "output_dir": str(tmp_path / "run"), "resume": True}))


def test_ddp_through_the_nproc_launcher_follows_single_process(single, recipe, tmp_path):
    config = write_config(tmp_path / "config.yaml", {**recipe, "output_dir": str(tmp_path / "run")})
    proc = run([sys.executable, "-m", "labtune", "train", str(config), "--nproc", "2", "--distributed", "ddp"])
    assert proc.returncode == 0, failure(proc)
    assert losses(tmp_path / "run") == pytest.approx(losses(single), abs=1e-5)
    assert_same_weights(single, tmp_path / "run", atol=1e-5)


@pytest.fixture(scope="module")
def checks(recipe, tmp_path_factory) -> dict[str, dict[int, dict]]:
    """One launch: the sync/error primitives, the 3-sample run with and without pre-flight, LoRA under
    DDP and FSDP, and an FSDP run stopped at step 3 (mid-epoch 2) then resumed."""
    tmp = tmp_path_factory.mktemp("three")
    data = write_chats(tmp / "three.json", 3)
    cfg = {**recipe, "data": [str(data)], "per_device_train_batch_size": 1, "gradient_accumulation_steps": 16,
           "num_train_epochs": 2, "output_dir": str(tmp / "run")}
    lora = {**recipe, **LORA, "output_dir": str(tmp / "lora")}
    resumed = {**recipe, "output_dir": str(tmp / "resumed"), "distributed": "fsdp"}
    proc = run([*TORCHRUN, str(WORKER), "checks", json.dumps(cfg), json.dumps(lora), json.dumps(resumed), "3"],
               timeout=480)
    assert proc.returncode == 0, failure(proc)
    by_scenario: dict[str, dict[int, dict]] = {}
    for row in results(proc):
        by_scenario.setdefault(row["scenario"], {})[row["rank"]] = row
    by_scenario["stderr"] = proc.stderr
    by_scenario["dir"] = tmp
    return by_scenario


def test_three_samples_accumulation_16_on_two_ranks(checks):
    rank0 = checks["tiny_dataset"][0]
    # pre-flight: 2 micro-batches per rank per epoch (3 samples / 2 ranks, batch 1) -> accumulation 2
    assert rank0["planned_accumulation"] == 2
    assert "using gradient_accumulation_steps 2" in rank0["warnings"][0]
    assert checks["stderr"].count("using gradient_accumulation_steps 2") == 1  # rank 0 alone prints
    # forced off (accumulation stays 16): each epoch is one short window of 2 micro-batches that still
    # ends in a synced optimizer step, so both epochs train and the model is written
    assert rank0["forced_steps"] == [1, 2]
    assert (checks["dir"] / "run-forced" / "model" / "model.safetensors").is_file()


def test_fsdp_resume_after_a_stop_mid_run_gives_the_same_weights(fsdp, checks):
    assert "resuming at step 3" in checks["stderr"]
    for rank in checks["stop_then_resume"].values():  # and a checkpoint of another world size is refused
        assert "written by 4 processes; resume it with 4 (--nproc 4)" in rank["refused"]
    assert losses(checks["dir"] / "resumed") == pytest.approx(losses(fsdp), abs=1e-6)
    assert_same_weights(fsdp, checks["dir"] / "resumed", atol=1e-6)


def test_lora_under_ddp_and_fsdp_gives_the_single_process_adapter(checks, recipe, tmp_path):
    from labtune.train.config import TrainConfig

    single = train(TrainConfig(**{**recipe, **LORA, "per_device_train_batch_size": 4,
                                  "output_dir": str(tmp_path / "single")}))
    expected = load_file(single / "adapter" / "adapter_model.safetensors")
    for strategy in ("ddp", "fsdp"):
        out = checks["dir"] / f"lora-{strategy}"
        assert losses(out) == pytest.approx(losses(single), abs=1e-5), strategy
        got = load_file(out / "adapter" / "adapter_model.safetensors")
        assert got.keys() == expected.keys()
        for name in expected:
            torch.testing.assert_close(got[name], expected[name], atol=1e-5, rtol=0, msg=f"{strategy} {name}")
        assert (out / "model" / "model.safetensors").is_file()  # --merge on rank 0 from the gathered model


def test_gradient_sync_only_at_the_window_end_and_rank0_errors_reach_all_ranks(checks):
    ranks = checks["primitives"]
    assert ranks.keys() == {0, 1}
    # before the sync step DDP holds each rank's own gradient (different data -> different values)...
    assert ranks[0]["ddp_before_sync"] != ranks[1]["ddp_before_sync"]
    assert ranks[0]["fsdp_before_sync"] is None  # ...and FSDP has reduced nothing yet
    for rank in ranks.values():  # after it, both equal the gradient of all ranks' data
        assert rank["ddp_error"] < 1e-6 and rank["fsdp_error"] < 1e-6
    assert ranks[0]["on_main_error"] == "disk full on rank 0 (simulated)"
    assert ranks[1]["on_main_error"] == "rank 0 failed: LabtuneError: disk full on rank 0 (simulated)"


def test_an_error_on_one_rank_ends_every_rank_with_its_message():
    started = time.time()
    proc = run([*TORCHRUN, str(WORKER), "fail_on_rank1"], timeout=120)
    assert proc.returncode != 0
    assert "boom on rank 1 (simulated)" in proc.stderr
    assert "unreachable" not in proc.stdout
    assert time.time() - started < 90  # rank 0 was stopped, not left waiting for the collective timeout


def test_launcher_reports_a_user_error_as_one_line_exit_2(tiny_model_dir, tmp_path):
    data = write_chats(tmp_path / "one.json", 1)
    proc = run([sys.executable, "-m", "labtune", "train", "--nproc", "2", "-m", str(tiny_model_dir), "-d", str(data),
                "-o", str(tmp_path / "run"), "--quiet"])
    assert proc.returncode == 2
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("error:") and "1 training samples but 2 processes" in last
