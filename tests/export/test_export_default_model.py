"""End to end on the real default model (slow, ~2 min on an idle 2-core CPU): SmolLM2-135M exported to
an f16 GGUF names its ChatML template and special tokens, gives the model's logits and answers the lab's
questions as the model does when labtune loads it back (as `labtune eval model.gguf` would). LoRA runs
and every precision are covered on a tiny model (test_gguf.py) and by benchmarks/export_gguf.py (q8_0
and q4_0 answer agreement, llama.cpp)."""

from __future__ import annotations

import json

import pytest

from labtune.data.conversation import Message

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]


@pytest.fixture
def own_home(tmp_path, monkeypatch, default_model_dir):
    """GGUF conversions go to a temporary LABTUNE_HOME; the default model's conversion is shared."""
    (tmp_path / "home" / "models").mkdir(parents=True)
    (tmp_path / "home" / "models" / default_model_dir.name).symlink_to(default_model_dir)
    monkeypatch.setenv("LABTUNE_HOME", str(tmp_path / "home"))


def test_default_model_as_gguf_answers_like_the_model(own_home, tmp_path):
    import gguf

    from labtune.eval.answer import generate_answers
    from labtune.export.check import compare_logits, same_answers
    from labtune.export.gguf_writer import export_gguf
    from labtune.export.source import load_source
    from labtune.model.load import load
    from labtune.samples import LABNOTES_QUESTIONS

    source = load_source("smollm2-135m")
    f16 = export_gguf(source, tmp_path / "model-f16.gguf", "f16")

    reader = gguf.GGUFReader(f16)
    field = lambda key: reader.fields[key].contents()  # noqa: E731
    assert field("tokenizer.chat_template") == source.chat_template
    assert (field("tokenizer.ggml.bos_token_id"), field("tokenizer.ggml.eos_token_id"),
            field("tokenizer.ggml.eot_token_id")) == (1, 2, 2)  # <|im_start|>, <|im_end|>, <|im_end|>
    assert field("tokenizer.ggml.pre") == "gpt-2"
    assert {t.name: t.tensor_type for t in reader.tensors}["blk.0.ffn_down.weight"] == gguf.GGMLQuantizationType.F16

    model, exported = load("smollm2-135m"), load(str(f16))  # the GGUF through labtune's own loader
    assert exported.template.prompt([Message("user", "x")]) == model.template.prompt([Message("user", "x")])
    questions = [[Message("user", json.loads(line)["question"])]
                 for line in LABNOTES_QUESTIONS.read_text().splitlines()[:8]]
    ids = model.tokenizer(model.template.prompt(questions[0]), return_tensors="pt")["input_ids"]
    assert compare_logits(model.model, exported.model, ids).cosine >= 0.9999
    answers = generate_answers(model, questions, max_new_tokens=16)
    assert same_answers(answers, generate_answers(exported, questions, max_new_tokens=16)) >= 7 / 8
