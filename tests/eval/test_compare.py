import json

import pytest
from rich.console import Console

import labtune.model.load
from eval_helpers import write_run
from labtune.eval.evaluate import Settings
from labtune.eval.run import run_eval

SETTINGS = Settings(max_new_tokens=12, batch_size=4, general_samples=3, general_questions=2)


@pytest.fixture
def runs(tmp_path, tiny_model_dir, taught_model_dir):
    taught = write_run(tmp_path / "runs" / "taught", taught_model_dir, tiny_model_dir, train_s=12.0)
    untouched = write_run(tmp_path / "runs" / "untouched", tiny_model_dir, tiny_model_dir)
    return taught, untouched


@pytest.fixture
def loads(monkeypatch, tmp_path):
    """Names passed to the one loader; the eval cache lives in this test's LABTUNE_HOME."""
    monkeypatch.setenv("LABTUNE_HOME", str(tmp_path / "home"))
    calls = []
    real = labtune.model.load.load

    def counting(name, *args, **kw):
        calls.append(name)
        return real(name, *args, **kw)

    monkeypatch.setattr(labtune.model.load, "load", counting)
    return calls


def test_comparison_of_two_runs_with_their_base(tmp_path, runs, loads, questions_file, general_file, tiny_model_dir):
    taught, untouched = runs
    console = Console(record=True, width=200)
    out = tmp_path / "out"
    rows = run_eval([str(taught), str(untouched)], questions_file, general_file, "contains", out, SETTINGS,
                    show_wrong=True, console=console)

    # The shared base is evaluated once, first, and each run is compared with it.
    assert loads == [str(tiny_model_dir), str(taught), str(untouched)]
    base, taught_row, untouched_row = rows
    assert base.is_base and base.name == str(tiny_model_dir) and base.perplexity_change is None
    assert taught_row.base_model == untouched_row.base_model == str(tiny_model_dir)
    assert taught_row.accuracy == {"presenter": 1.0, "recorder": 0.0, "overall": 0.5}
    assert base.accuracy["overall"] == 0.0
    assert untouched_row.perplexity_change == pytest.approx(0.0, abs=1e-6)  # same weights as the base
    assert taught_row.perplexity_change == pytest.approx(
        (taught_row.general_perplexity - base.general_perplexity) / base.general_perplexity)
    assert taught_row.train_seconds == 12.0

    text = console.export_text()
    for expected in ("presenter", "recorder", "ppl vs base", "+0.0%", "12s", "What is the capital of France?",
                     "expected: Bob Jones"):
        assert expected in text

    saved = json.loads((out / "eval.json").read_text())
    assert [m["name"] for m in saved["models"]] == [r.name for r in rows]
    assert saved["models"][1]["results"][0]["answer"] == "Alice Smith"
    assert saved["models"][1]["results"][0]["correct"] is True
    assert (out / "eval.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not [p for p in out.iterdir() if ".tmp" in p.name]


def test_second_evaluation_comes_from_cache(tmp_path, runs, loads, questions_file, general_file):
    taught, _ = runs
    first = run_eval([str(taught)], questions_file, general_file, "contains", tmp_path / "a", SETTINGS,
                     console=Console(file=open("/dev/null", "w")))
    loads.clear()
    second = run_eval([str(taught)], questions_file, general_file, "exact", tmp_path / "b", SETTINGS,
                      console=Console(file=open("/dev/null", "w")))
    assert loads == []  # nothing reloaded: answers are cached, scoring is redone with the new --match
    assert all(row.cached for row in second)
    assert [r.general_perplexity for r in second] == [r.general_perplexity for r in first]
    assert second[1].results[0].answer == first[1].results[0].answer


def test_lora_run_is_compared_with_its_base(tmp_path, loads, questions_file, general_file, tiny_model_dir):
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    run = tmp_path / "lora-run"
    # A fresh adapter (B = 0) leaves the model unchanged: same answers, same perplexity as the base.
    adapter = get_peft_model(AutoModelForCausalLM.from_pretrained(tiny_model_dir),
                             LoraConfig(r=4, target_modules="all-linear"))
    adapter.save_pretrained(run / "adapter")
    (run / "labtune.json").write_text(json.dumps({"template": "tokenizer", "base_model": str(tiny_model_dir),
                                                  "kind": "lora"}))
    base, lora = run_eval([str(run)], questions_file, general_file, "contains", tmp_path / "out", SETTINGS,
                          console=Console(file=open("/dev/null", "w")))
    assert loads == [str(tiny_model_dir), str(run)]
    assert lora.base_model == str(tiny_model_dir) and base.is_base
    assert lora.perplexity_change == pytest.approx(0.0, abs=1e-6)
    assert [r.answer for r in lora.results] == [r.answer for r in base.results]
