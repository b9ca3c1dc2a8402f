"""Bad input to the export commands: one `error:` line, exit 2, nothing left behind."""

from __future__ import annotations

import shutil

from labtune.model.run_dir import RunDir

from export_helpers import leftovers


def test_run_without_a_model(tmp_path, cli, small_model_dir):
    run = tmp_path / "run"
    run.mkdir()
    RunDir(run).write_meta({"template": "tokenizer", "base_model": str(small_model_dir), "kind": "full"})
    for target in ("hf", "gguf", "ollama", "delta"):
        code, err = cli("export", run, "--to", target, "-o", tmp_path / f"out-{target}")
        assert code == 2
        assert err.strip().splitlines() == [f"error: {run}: run has neither model/ nor adapter/ (did training "
                                            "finish?)"]
        assert leftovers(tmp_path, "out-") == []


def test_truncated_weights(tmp_path, cli, vicuna_run):
    run = tmp_path / "run"
    shutil.copytree(vicuna_run, run)
    weights = run / "model" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:4096])
    code, err = cli("export", run, "--to", "gguf", "-o", tmp_path / "out.gguf")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert err.startswith(f"error: {run}: cannot load the model:")
    assert leftovers(tmp_path, "out.gguf") == []


def test_truncated_gguf_given_to_chat(tmp_path, cli, lora_run, monkeypatch):
    monkeypatch.setenv("LABTUNE_HOME", str(tmp_path / "home"))
    code, err = cli("export", lora_run, "--to", "gguf", "--quant", "q8_0", "-o", tmp_path / "m.gguf")
    assert code == 0, err
    data = (tmp_path / "m.gguf").read_bytes()
    (tmp_path / "cut.gguf").write_bytes(data[: len(data) // 3])
    code, err = cli("chat", tmp_path / "cut.gguf", "--prompt", "hi")
    assert code == 2 and len(err.strip().splitlines()) == 1 and err.startswith(f"error: {tmp_path / 'cut.gguf'}")


def test_delta_without_a_base(tmp_path, cli, small_model_dir):
    code, err = cli("export", small_model_dir, "--to", "delta", "-o", tmp_path / "d")
    assert code == 2
    assert err.strip().splitlines() == ["error: --to delta needs --base (the model the delta is taken against)"]
    assert leftovers(tmp_path, "d") == []
