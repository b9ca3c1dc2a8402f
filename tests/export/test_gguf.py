"""--to gguf: read back by transformers' own GGUF loader and by the gguf reader, and by labtune."""

from __future__ import annotations

import json

import pytest
import torch

from labtune.export.gguf_writer import export_gguf
from labtune.export.source import load_source
from labtune.model.load import load

from export_helpers import MESSAGES, leftovers, make_model, run_logits


@pytest.fixture(scope="module")
def lora_source(lora_run):
    return load_source(str(lora_run))


@pytest.fixture(scope="module")
def ggufs(lora_source, tmp_path_factory):
    """The LoRA run exported at every precision."""
    folder = tmp_path_factory.mktemp("gguf")
    return {q: export_gguf(lora_source, folder / f"run-{q}.gguf", q) for q in ("f32", "f16", "q8_0", "q4_0")}


def transformers_logits(path, ids):
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(path.parent, gguf_file=path.name, dtype=torch.float32)
    with torch.no_grad():
        return model(ids).logits


def cosine(a, b) -> float:
    return torch.nn.functional.cosine_similarity(a.flatten(), b.flatten(), dim=0).item()


def test_f32_gguf_read_by_transformers_gives_the_runs_logits(lora_run, ggufs):
    ids, expected = run_logits(lora_run)
    assert (transformers_logits(ggufs["f32"], ids) - expected).abs().max().item() <= 1e-4


def test_f16_gguf_logits_cosine_at_least_0_9999(lora_run, ggufs):
    ids, expected = run_logits(lora_run)
    assert cosine(transformers_logits(ggufs["f16"], ids), expected) >= 0.9999


def test_quantized_ggufs_are_smaller_and_close(lora_run, ggufs):
    ids, expected = run_logits(lora_run)
    sizes = [ggufs[q].stat().st_size for q in ("f32", "f16", "q8_0", "q4_0")]
    assert sizes == sorted(sizes, reverse=True) and len(set(sizes)) == 4
    assert cosine(transformers_logits(ggufs["q8_0"], ids), expected) >= 0.999
    assert cosine(transformers_logits(ggufs["q4_0"], ids), expected) >= 0.95


def _field(reader, key):
    import gguf

    field = reader.fields[key]
    if field.types[0] == gguf.GGUFValueType.ARRAY:
        return [field.contents(i) for i in range(len(field.data))]
    return field.contents()


def test_metadata_names_the_template_special_tokens_and_types(lora_run, lora_source, ggufs):
    import gguf

    reader = gguf.GGUFReader(ggufs["q8_0"])
    tokenizer = lora_source.tokenizer
    assert _field(reader, "general.architecture") == "llama"
    assert _field(reader, "tokenizer.ggml.model") == "gpt2" and _field(reader, "tokenizer.ggml.pre") == "gpt-2"
    assert _field(reader, "tokenizer.chat_template") == lora_source.chat_template
    im_end = tokenizer.convert_tokens_to_ids("<|im_end|>")
    assert _field(reader, "tokenizer.ggml.eos_token_id") == im_end
    assert _field(reader, "tokenizer.ggml.eot_token_id") == im_end
    assert _field(reader, "tokenizer.ggml.bos_token_id") == tokenizer.convert_tokens_to_ids("<|im_start|>")
    assert _field(reader, "tokenizer.ggml.add_bos_token") is False
    tokens, types = _field(reader, "tokenizer.ggml.tokens"), _field(reader, "tokenizer.ggml.token_type")
    assert tokens == [tokenizer.convert_ids_to_tokens(i) for i in range(len(tokenizer))]
    assert types[im_end] == gguf.TokenType.CONTROL and types[100] == gguf.TokenType.NORMAL
    assert json.loads(_field(reader, "labtune.template")) == "tokenizer"
    assert _field(reader, "llama.attention.head_count_kv") == 2
    kinds = {t.name: t.tensor_type for t in reader.tensors}
    assert kinds["blk.0.attn_q.weight"] == gguf.GGMLQuantizationType.Q8_0
    assert kinds["blk.0.attn_norm.weight"] == gguf.GGMLQuantizationType.F32
    assert "output.weight" not in kinds  # tied to the embedding, as llama.cpp expects


def test_transformers_reads_back_the_same_tokenizer_and_template(lora_source, ggufs):
    from transformers import AutoTokenizer

    path = ggufs["f16"]
    tokenizer = AutoTokenizer.from_pretrained(path.parent, gguf_file=path.name)
    text = "<|im_start|>user\nWho presented on 4/14/2023? é 😀<|im_end|>\n"
    assert tokenizer(text)["input_ids"] == lora_source.tokenizer(text)["input_ids"]
    assert tokenizer.chat_template == lora_source.chat_template


@pytest.mark.parametrize("run_fixture", ["lora_run", "vicuna_run", "alpaca_run"])
def test_labtune_loads_the_gguf_with_the_runs_template(run_fixture, request, tmp_path, monkeypatch):
    monkeypatch.setenv("LABTUNE_HOME", str(tmp_path / "home"))  # the dequantized cache goes here
    run = request.getfixturevalue(run_fixture)
    path = export_gguf(load_source(str(run)), tmp_path / "run.gguf", "f32")
    from_run, from_gguf = load(str(run)), load(str(path))
    assert type(from_gguf.template) is type(from_run.template)
    assert from_gguf.template.prompt(MESSAGES) == from_run.template.prompt(MESSAGES)
    assert from_gguf.template.stop_token_ids(from_gguf.tokenizer) == from_run.template.stop_token_ids(
        from_run.tokenizer)
    ids = from_run.tokenizer(from_run.template.prompt(MESSAGES), return_tensors="pt")["input_ids"]
    with torch.no_grad():
        assert (from_gguf.model(ids).logits - from_run.model(ids).logits).abs().max().item() <= 1e-4
    if run_fixture != "lora_run":
        from labtune.errors import LabtuneError

        with pytest.raises(LabtuneError, match="cannot be used with another"):
            load(str(path), template="tokenizer", with_model=False)


def test_unknown_architecture_is_one_error_and_no_file(small_model_dir, tmp_path, cli):
    from transformers import AutoTokenizer

    mistral = make_model(tmp_path / "mistral", AutoTokenizer.from_pretrained(small_model_dir), model_type="mistral")
    code, err = cli("export", mistral, "--to", "gguf", "-o", tmp_path / "m.gguf")
    assert code == 2
    assert err.strip().splitlines() == ["error: GGUF export supports LLaMA-architecture models; this one is "
                                        "'mistral' (export it --to hf instead)"]
    assert leftovers(tmp_path, "m.gguf") == []


def test_cli_writes_gguf(lora_run, tmp_path, cli):
    code, err = cli("export", lora_run, "--to", "gguf", "--quant", "q8_0", "-o", tmp_path / "x.gguf")
    assert code == 0, err
    assert err.startswith(f"wrote {tmp_path / 'x.gguf'}") and (tmp_path / "x.gguf").read_bytes()[:4] == b"GGUF"
    assert leftovers(tmp_path, "x.gguf") == ["x.gguf"]
