"""`labtune serve --engine llama.cpp`: the exported GGUF run by llama-cpp-python answers like the run.

The comparison test skips where llama-cpp-python is not installed (it is an optional extra that
builds from source); the refusals are checked everywhere."""

from __future__ import annotations

import json
import sys

import pytest
import torch

from labtune.data.conversation import Message
from labtune.errors import LabtuneError
from labtune.export.gguf_writer import export_gguf
from labtune.export.source import load_source

from export_helpers import llama_cpp_logits


def test_engine_needs_a_gguf_file(lora_run, cli):
    code, err = cli("serve", lora_run, "--engine", "llama.cpp")
    assert code == 2 and err.strip().splitlines() == [
        f"error: {lora_run}: the llama.cpp engine runs a .gguf file; make one with "
        "`labtune export RUN --to gguf -o model.gguf`"]


def test_engine_without_llama_cpp_python_says_how_to_install(lora_run, tmp_path, monkeypatch):
    from labtune.serve.llamacpp_engine import load_engine

    path = export_gguf(load_source(str(lora_run)), tmp_path / "run.gguf", "q8_0")
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # as if not installed
    with pytest.raises(LabtuneError, match=r"needs llama-cpp-python: pip install 'labtune\[llamacpp\]'"):
        load_engine(str(path))


def test_llama_cpp_reads_the_gguf_like_the_run(lora_run, tmp_path):
    """Tokenizer metadata, rotary order, norms, grouped-query heads: llama.cpp itself agrees."""
    pytest.importorskip("llama_cpp")
    import llama_cpp

    from labtune.model.load import load

    path = export_gguf(load_source(str(lora_run)), tmp_path / "run.gguf", "f32")
    loaded = load(str(lora_run))
    text = loaded.template.prompt([Message("user", "Who is the presenter of the 4/14/2023 lab meeting? é 😀")])
    ids = loaded.tokenizer(text)["input_ids"]
    llama = llama_cpp.Llama(model_path=str(path), n_ctx=64, verbose=False, vocab_only=True)
    assert llama.tokenize(text.encode(), add_bos=False, special=True) == ids
    with torch.no_grad():
        expected = loaded.model(torch.tensor([ids])).logits
    assert (llama_cpp_logits(path, ids) - expected).abs().max().item() <= 1e-3


def test_gguf_in_llama_cpp_answers_like_the_run(lora_run, tmp_path, capsys):
    pytest.importorskip("llama_cpp")
    from labtune.model.load import load
    from labtune.serve.generate import Engine, Sampling
    from labtune.serve.llamacpp_engine import load_engine

    path = export_gguf(load_source(str(lora_run)), tmp_path / "run.gguf", "f32")
    torch_engine, cpp_engine = Engine(load(str(lora_run))), load_engine(str(path), threads=1)
    assert cpp_engine.template.prompt([Message("user", "x")]) == torch_engine.template.prompt([Message("user", "x")])
    messages = [Message("user", "Who is the presenter of the 4/14/2023 lab meeting?")]
    assert cpp_engine.chat_prompt_ids(messages) == torch_engine.chat_prompt_ids(messages)
    greedy = Sampling(temperature=0.0, max_new_tokens=12)
    ours, theirs = torch_engine.chat(messages, greedy).run(), cpp_engine.chat(messages, greedy).run()
    assert theirs.text == ours.text and theirs.completion_tokens == ours.completion_tokens > 0
    assert theirs.finish_reason == ours.finish_reason
    with capsys.disabled():
        print(f"\n[decode tokens/s, tiny model] labtune torch {ours.tokens_per_second:.0f}, "
              f"llama.cpp {theirs.tokens_per_second:.0f}")


def test_openai_api_served_by_llama_cpp(lora_run, tmp_path):
    """What `labtune serve RUN.gguf --engine llama.cpp` serves: the API on the llama.cpp engine."""
    pytest.importorskip("llama_cpp")
    from fastapi.testclient import TestClient

    from labtune.model.load import load
    from labtune.serve.api import create_app
    from labtune.serve.generate import Engine, Sampling
    from labtune.serve.llamacpp_engine import load_engine

    path = export_gguf(load_source(str(lora_run)), tmp_path / "run.gguf", "f32")
    question = "Who presented on 4/14/2023?"
    expected = Engine(load(str(lora_run))).chat([Message("user", question)],
                                                Sampling(temperature=0.0, max_new_tokens=8)).run().text
    with TestClient(create_app(load_engine(str(path), threads=1)), base_url="http://127.0.0.1") as client:
        reply = client.post("/v1/chat/completions", json={
            "model": path.name, "messages": [{"role": "user", "content": question}], "temperature": 0,
            "max_tokens": 8})
        assert reply.status_code == 200, reply.text
        assert reply.json()["choices"][0]["message"]["content"] == expected
        streamed = client.post("/v1/chat/completions", json={
            "model": path.name, "messages": [{"role": "user", "content": question}], "temperature": 0,
            "max_tokens": 8, "stream": True})
        assert streamed.status_code == 200
        chunks = [json.loads(line[len("data: "):]) for line in streamed.text.splitlines()
                  if line.startswith("data: {")]
        assert "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks) == expected
