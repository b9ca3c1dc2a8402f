"""Every pre-flight refusal happens before the model loads, with the fix in the message."""

from __future__ import annotations

import pytest

from labtune.errors import LabtuneError
from labtune.train import loop
from labtune.train.config import TrainConfig
from labtune.train.loop import train
from labtune.train.preflight import check_output_dir, max_length, plan_steps


@pytest.fixture
def no_model_load(monkeypatch):
    """Pre-flight must refuse before any weights load: loading fails the test."""
    def forbidden(*a, **kw):
        raise AssertionError("the model was loaded before pre-flight refused the run")

    monkeypatch.setattr(loop, "load_for_training", forbidden)


def test_small_dataset_lowers_accumulation_with_a_warning():
    cfg = TrainConfig(per_device_train_batch_size=2, gradient_accumulation_steps=16, num_train_epochs=3)
    plan = plan_steps(cfg, n_samples=10, world_size=2)  # 5 samples per rank -> 3 micro-batches
    assert plan.gradient_accumulation_steps == 3
    assert plan.steps_per_epoch == 1 and plan.total_steps == 3
    assert "gradient_accumulation_steps 3" in plan.warnings[0] and "16" in plan.warnings[0]


def test_short_last_window_counts_as_a_step():
    plan = plan_steps(TrainConfig(per_device_train_batch_size=1, gradient_accumulation_steps=4,
                                  num_train_epochs=2), n_samples=10)
    assert (plan.micro_batches_per_epoch, plan.steps_per_epoch, plan.total_steps) == (10, 3, 6)
    assert not plan.warnings
    assert plan_steps(TrainConfig(max_steps=5), 10).total_steps == 5
    assert plan_steps(TrainConfig(per_device_train_batch_size=1, num_train_epochs=0.5), 10).total_steps == 5


def test_fewer_samples_than_processes_is_refused():
    with pytest.raises(LabtuneError, match="3 training samples but 4 processes.*nproc_per_node=3"):
        plan_steps(TrainConfig(), n_samples=3, world_size=4)
    with pytest.raises(LabtuneError, match="no training samples"):
        plan_steps(TrainConfig(), n_samples=0)


def test_model_max_length_above_context_is_refused():
    assert max_length(TrainConfig(), 8192) == 2048
    assert max_length(TrainConfig(), 512) == 512
    assert max_length(TrainConfig(model_max_length=256), 512) == 256
    with pytest.raises(LabtuneError, match=r"above the context of .* \(512 tokens\): use --model_max_length 512"):
        max_length(TrainConfig(model_max_length=1024), 512)


def test_output_dir_holding_another_run_is_refused(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "config.yaml").write_text(TrainConfig(learning_rate=1e-4).to_yaml())
    same = TrainConfig(learning_rate=1e-4, output_dir=str(out), save_steps=7)  # save_steps may change
    assert check_output_dir(same, out, has_checkpoint=True) is True
    assert check_output_dir(same, out, has_checkpoint=False) is False
    with pytest.raises(LabtuneError, match=r"holds a different run \(learning_rate: 0.0001 -> 0.001\)"):
        check_output_dir(TrainConfig(learning_rate=1e-3, output_dir=str(out)), out, True)
    replaced = TrainConfig(learning_rate=1e-3, output_dir=str(out), overwrite_output_dir=True)
    assert check_output_dir(replaced, out, True) is False


def test_output_dir_that_is_not_a_run_is_refused(tmp_path):
    (tmp_path / "thesis.tex").write_text("precious")
    with pytest.raises(LabtuneError, match="not a labtune run.*--overwrite_output_dir"):
        check_output_dir(TrainConfig(), tmp_path, has_checkpoint=False)


def test_resume_without_checkpoint_is_refused(tmp_path):
    with pytest.raises(LabtuneError, match="no checkpoint to resume from"):
        check_output_dir(TrainConfig(resume=True), tmp_path / "new", has_checkpoint=False)


def test_refusals_come_before_the_model_loads(make_cfg, no_model_load, tmp_path):
    with pytest.raises(LabtuneError, match="above the context"):
        train(make_cfg(model_max_length=4096))  # the tiny model has 512 positions
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "notes.txt").write_text("x")
    with pytest.raises(LabtuneError, match="not a labtune run"):
        train(make_cfg())
    with pytest.raises(LabtuneError, match="no training data"):
        train(make_cfg(data=[], output_dir=str(tmp_path / "other")))


def test_q_lora_without_cuda_is_refused(make_cfg, tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(LabtuneError, match="--q_lora needs a CUDA GPU"):
        train(make_cfg(q_lora=True))
