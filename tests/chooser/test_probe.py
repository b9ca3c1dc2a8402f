"""Measured estimates: labtune's own training loop for a few steps, in a fresh process, cached."""

from __future__ import annotations

import json

import pytest

from labtune.chooser import probe as probe_module
from labtune.chooser.probe import ProbeSettings, measure
from labtune.chooser.report import survey, tables
from labtune.chooser.estimate import Estimate, Machine
from labtune.errors import LabtuneError

SMALL = ProbeSettings(batch=1, words=30, warmup_steps=1, timed_steps=2, new_tokens=4)
CPU = Machine("cpu", "test CPU", matmul_gflops=100.0, bandwidth_gb_s=10.0)


@pytest.fixture
def cache_home(tmp_path, monkeypatch):
    monkeypatch.setattr(probe_module, "_cache_path", lambda: tmp_path / "probes.json")
    return tmp_path / "probes.json"


class Pipe:
    def __init__(self):
        self.sent = []

    def send(self, value):
        self.sent.append(value)


def test_the_training_probe_runs_labtunes_own_loop_and_stops_before_saving(tiny_model_dir, monkeypatch, tmp_path):
    import labtune.train.loop as loop

    calls = []
    real = loop.train

    def spy(cfg, **kwargs):
        calls.append(cfg)
        return real(cfg, **kwargs)

    monkeypatch.setattr(loop, "train", spy)
    monkeypatch.setattr(probe_module, "_quiet", lambda: None)  # in this process: keep pytest's output
    pipe = Pipe()
    probe_module.probe_training({"model_dir": str(tiny_model_dir), "mode": "lora", "settings": vars(SMALL)}, pipe)
    [result] = pipe.sent
    assert "error" not in result, result
    assert result["seconds_per_1k_tokens"] > 0 and result["memory_gb"] > 0.1 and result["tokens_per_step"] > 20
    [cfg] = calls
    assert cfg.lora and cfg.max_steps == 3 and cfg.per_device_train_batch_size == 1


def test_a_measurement_comes_from_a_fresh_process_and_then_from_the_cache(tiny_model_dir, cache_home, monkeypatch):
    inference = measure(tiny_model_dir, "inference", "test", SMALL)
    assert inference.source == "measured" and inference.seconds_per_1k_tokens > 0 and inference.memory_gb > 0.1
    assert len(json.loads(cache_home.read_text())) == 1
    import labtune.train.bench as bench

    monkeypatch.setattr(bench, "in_fresh_process", lambda *a, **k: pytest.fail("measured again"))
    assert measure(tiny_model_dir, "inference", "test", SMALL) == inference
    with pytest.raises(pytest.fail.Exception):
        measure(tiny_model_dir, "inference", "test", SMALL, refresh=True)


def test_a_failing_probe_is_a_one_line_error(tmp_path, cache_home, monkeypatch):
    (tmp_path / "config.json").write_text("{}")  # a model directory whose weights do not load
    monkeypatch.setattr(probe_module, "_quiet", lambda: None)
    pipe = Pipe()
    probe_module.probe_training({"model_dir": str(tmp_path), "mode": "full", "settings": vars(SMALL)}, pipe)
    assert "error" in pipe.sent[0]
    import labtune.train.bench as bench

    monkeypatch.setattr(bench, "in_fresh_process", lambda target, job: pipe.sent[0])
    with pytest.raises(LabtuneError, match="the full probe failed"):
        measure(tmp_path, "full", "test", SMALL)


def test_survey_measures_what_is_here_and_computes_the_rest(tiny_model_dir, cache_home, monkeypatch):
    from labtune.chooser import card as card_module

    def not_installed(alias):  # the alias is costed from its architecture, not probed (minutes)
        raise LabtuneError("not installed")

    monkeypatch.setattr(card_module, "alias_gguf", not_installed)
    import labtune.chooser.report as report_module

    measured = []

    def fake_measure(model_dir, mode, machine, settings, refresh):
        measured.append((str(model_dir), mode))
        return Estimate(mode, 1.0, 2.0, "measured", "test")

    monkeypatch.setattr(report_module, "measure", fake_measure)
    report = survey([str(tiny_model_dir)], probe=True, settings=SMALL, machine=CPU)
    by_name = {m["card"]["name"]: m for m in report["models"]}
    assert set(by_name) == {"smollm2-135m", str(tiny_model_dir)}
    assert by_name["smollm2-135m"]["estimates"]["full"]["source"] == "computed"
    assert measured == [(str(tiny_model_dir), mode) for mode in ("full", "lora", "inference")]
    tiny = by_name[str(tiny_model_dir)]["estimates"]
    assert [tiny[m]["source"] for m in ("full", "lora", "qlora", "inference")] == ["measured", "measured", "n/a", "measured"]
    computed = survey([str(tiny_model_dir)], probe=False, settings=SMALL, machine=CPU)
    assert all(m["estimates"]["full"]["source"] == "computed" for m in computed["models"])
    cards, costs = tables(report)
    assert cards.row_count == 2 and costs.row_count == 8
