"""import-llama: Meta's original layout (2 shards, params.json, tokenizer.model) -> HF LLaMA."""

from __future__ import annotations

import io
import json
import math

import pytest
import torch

from labtune.data.conversation import Message
from labtune.export.rotary import halves_to_pairs

from export_helpers import CORPUS, leftovers, llama_cpp_logits, train_run

# Meta name -> (transformers name, dimension Meta's model-parallel layers split it on)
LAYER = {"attention.wq.weight": ("self_attn.q_proj.weight", 0), "attention.wk.weight": ("self_attn.k_proj.weight", 0),
         "attention.wv.weight": ("self_attn.v_proj.weight", 0), "attention.wo.weight": ("self_attn.o_proj.weight", 1),
         "feed_forward.w1.weight": ("mlp.gate_proj.weight", 0), "feed_forward.w3.weight": ("mlp.up_proj.weight", 0),
         "feed_forward.w2.weight": ("mlp.down_proj.weight", 1),
         "attention_norm.weight": ("input_layernorm.weight", None),
         "ffn_norm.weight": ("post_attention_layernorm.weight", None)}
HEADS, KV_HEADS, DIM, LAYERS = 4, 2, 64, 2


def tiny_sentencepiece() -> bytes:
    import sentencepiece

    buf = io.BytesIO()
    sentencepiece.SentencePieceTrainer.train(
        sentence_iterator=iter(CORPUS * 20), model_writer=buf, vocab_size=340, model_type="bpe", byte_fallback=True,
        unk_id=0, bos_id=1, eos_id=2, pad_id=-1, normalization_rule_name="identity", character_coverage=1.0,
        minloglevel=2, num_threads=1)
    return buf.getvalue()


def meta_state_dict(model) -> dict:
    """The HF model's weights under Meta's names and rotary order (unsharded)."""
    hf = model.state_dict()
    out = {"tok_embeddings.weight": hf["model.embed_tokens.weight"], "norm.weight": hf["model.norm.weight"],
           "output.weight": hf["lm_head.weight"]}
    for i in range(LAYERS):
        for meta_name, (hf_name, _) in LAYER.items():
            tensor = hf[f"model.layers.{i}.{hf_name}"]
            if meta_name == "attention.wq.weight":
                tensor = halves_to_pairs(tensor, HEADS)
            elif meta_name == "attention.wk.weight":
                tensor = halves_to_pairs(tensor, KV_HEADS)
            out[f"layers.{i}.{meta_name}"] = tensor.clone()
    return out


def shard(state: dict, n: int) -> list[dict]:
    shards = [{} for _ in range(n)]
    for name, tensor in state.items():
        kind = name.split(".", 2)[-1] if name.startswith("layers.") else name
        dim = {"tok_embeddings.weight": 1, "output.weight": 0, "norm.weight": None}.get(kind)
        dim = LAYER[kind][1] if kind in LAYER else dim
        for i in range(n):
            shards[i][name] = tensor.clone() if dim is None else tensor.chunk(n, dim=dim)[i].clone()
    return shards


def meta_forward(state: dict, ids: torch.Tensor, eps: float, theta: float) -> torch.Tensor:
    """Meta's reference LLaMA forward (complex rotary on adjacent pairs), written from the paper's model
    code's structure: an independent check of the rotary order the import undoes."""
    def norm(x, w):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w

    head_dim = DIM // HEADS
    seq = ids.shape[1]
    freqs = 1.0 / theta ** (torch.arange(0, head_dim, 2).float() / head_dim)
    rot = torch.polar(torch.ones(seq, head_dim // 2), torch.outer(torch.arange(seq).float(), freqs))

    def rope(x):  # x: (seq, heads, head_dim), pairs (0,1), (2,3)... are complex numbers
        c = torch.view_as_complex(x.float().reshape(*x.shape[:-1], -1, 2))
        return torch.view_as_real(c * rot[:, None, :]).flatten(2)

    h = state["tok_embeddings.weight"][ids[0]]
    mask = torch.full((seq, seq), float("-inf")).triu(1)
    for i in range(LAYERS):
        w = {k.split(".", 2)[-1]: v for k, v in state.items() if k.startswith(f"layers.{i}.")}
        x = norm(h, w["attention_norm.weight"])
        q = rope((x @ w["attention.wq.weight"].T).view(seq, HEADS, head_dim))
        k = rope((x @ w["attention.wk.weight"].T).view(seq, KV_HEADS, head_dim))
        v = (x @ w["attention.wv.weight"].T).view(seq, KV_HEADS, head_dim)
        k, v = (t.repeat_interleave(HEADS // KV_HEADS, dim=1) for t in (k, v))
        scores = torch.einsum("qhd,khd->hqk", q, k) / math.sqrt(head_dim) + mask
        out = torch.einsum("hqk,khd->qhd", scores.softmax(-1), v).reshape(seq, DIM)
        h = h + out @ w["attention.wo.weight"].T
        x = norm(h, w["ffn_norm.weight"])
        gate = torch.nn.functional.silu(x @ w["feed_forward.w1.weight"].T) * (x @ w["feed_forward.w3.weight"].T)
        h = h + gate @ w["feed_forward.w2.weight"].T
    return (norm(h, state["norm.weight"]) @ state["output.weight"].T)[None]


@pytest.fixture(scope="module")
def meta_checkpoint(tmp_path_factory):
    """(Meta checkpoint dir, the HF model it was made from, its unsharded Meta state dict)."""
    from transformers import LlamaConfig, LlamaForCausalLM

    root = tmp_path_factory.mktemp("meta")
    ckpt = root / "llama-tiny"
    ckpt.mkdir()
    (ckpt / "tokenizer.model").write_bytes(tiny_sentencepiece())
    torch.manual_seed(5)
    config = LlamaConfig(vocab_size=340, hidden_size=DIM, intermediate_size=96, num_hidden_layers=LAYERS,
                         num_attention_heads=HEADS, num_key_value_heads=KV_HEADS, rms_norm_eps=1e-5,
                         rope_theta=10000.0, tie_word_embeddings=False, max_position_embeddings=128)
    model = LlamaForCausalLM(config).eval()
    with torch.no_grad():
        for name, param in model.named_parameters():
            if "norm" in name:
                param.uniform_(0.5, 1.5)
    state = meta_state_dict(model)
    for i, part in enumerate(shard(state, 2)):
        torch.save(part, ckpt / f"consolidated.{i:02d}.pth")
    (ckpt / "params.json").write_text(json.dumps({"dim": DIM, "multiple_of": 32, "n_heads": HEADS,
                                                  "n_kv_heads": KV_HEADS, "n_layers": LAYERS, "norm_eps": 1e-5,
                                                  "vocab_size": -1}))
    return ckpt, model, state


@pytest.fixture(scope="module")
def imported(meta_checkpoint, tmp_path_factory):
    from labtune.export.meta_llama import import_llama

    return import_llama(meta_checkpoint[0], tmp_path_factory.mktemp("hf") / "llama-hf")


def test_meta_reference_forward_is_the_hf_model(meta_checkpoint):
    _, model, state = meta_checkpoint
    ids = torch.tensor([[1, 50, 60, 70, 80, 90, 100]])
    with torch.no_grad():
        assert (meta_forward(state, ids, 1e-5, 10000.0) - model(ids).logits).abs().max().item() <= 1e-4


def test_imported_model_gives_the_hf_models_logits(meta_checkpoint, imported):
    import sentencepiece
    from transformers import AutoModelForCausalLM, AutoTokenizer

    ckpt, model, _ = meta_checkpoint
    tokenizer = AutoTokenizer.from_pretrained(imported)
    text = "Who is the presenter of the 4/14/2023 lab meeting?"
    spm = sentencepiece.SentencePieceProcessor(model_file=str(ckpt / "tokenizer.model"))
    ids = tokenizer(text, return_tensors="pt")["input_ids"]
    assert ids[0].tolist() == [spm.bos_id(), *spm.encode(text)]
    loaded = AutoModelForCausalLM.from_pretrained(imported, dtype=torch.float32)
    assert loaded.config.max_position_embeddings == 2048 and loaded.config.num_key_value_heads == KV_HEADS
    with torch.no_grad():
        assert torch.equal(loaded(ids).logits, model(ids).logits)


def test_imported_model_trains_and_exports_to_gguf(imported, tmp_path, monkeypatch):
    """The seed's path: Meta's weights in, tuned with the Vicuna template, out to llama.cpp's format."""
    import gguf
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from labtune.export.gguf_writer import export_gguf
    from labtune.export.source import load_source
    from labtune.model.load import load

    run = train_run(tmp_path / "run", imported, template="vicuna_v1.1", learning_rate=1e-3)
    assert json.loads((run / "labtune.json").read_text())["base_model"] == str(imported)
    path = export_gguf(load_source(str(run)), tmp_path / "run.gguf", "f32")

    reader = gguf.GGUFReader(path)
    assert reader.fields["tokenizer.ggml.model"].contents() == "llama"
    assert reader.fields["tokenizer.ggml.add_bos_token"].contents() is True
    loaded = load(str(run))
    text = loaded.template.prompt([Message("user", "Who presented the diatom results?")])
    ids = loaded.tokenizer(text, return_tensors="pt")["input_ids"]
    assert AutoTokenizer.from_pretrained(tmp_path, gguf_file="run.gguf")(text)["input_ids"] == ids[0].tolist()
    model = AutoModelForCausalLM.from_pretrained(tmp_path, gguf_file="run.gguf", dtype=torch.float32)
    with torch.no_grad():
        assert (model(ids).logits - loaded.model(ids).logits).abs().max().item() <= 1e-4


def test_llama_cpp_reads_the_sentencepiece_gguf_like_transformers(imported, tmp_path):
    pytest.importorskip("llama_cpp")
    import llama_cpp
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from labtune.export.gguf_writer import export_gguf
    from labtune.export.source import load_source

    path = export_gguf(load_source(str(imported), template="vicuna_v1.1"), tmp_path / "llama.gguf", "f32")
    tokenizer = AutoTokenizer.from_pretrained(imported)
    text = "Who presented the diatom results on 4/14/2023? é"
    ids = tokenizer(text)["input_ids"]
    llama = llama_cpp.Llama(model_path=str(path), n_ctx=64, verbose=False, vocab_only=True)
    assert llama.tokenize(text.encode(), add_bos=True, special=False) == ids
    model = AutoModelForCausalLM.from_pretrained(imported, dtype=torch.float32)
    with torch.no_grad():
        expected = model(torch.tensor([ids])).logits
    assert (llama_cpp_logits(path, ids) - expected).abs().max().item() <= 1e-3


def test_truncated_shard_is_one_error(meta_checkpoint, tmp_path, cli):
    import shutil

    ckpt = tmp_path / "ckpt"
    shutil.copytree(meta_checkpoint[0], ckpt)
    shard_file = ckpt / "consolidated.01.pth"
    shard_file.write_bytes(shard_file.read_bytes()[:2000])
    code, err = cli("import-llama", ckpt, "-o", tmp_path / "out")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert err.startswith(f"error: {shard_file}: cannot read weights")
    assert leftovers(tmp_path, "out") == []


def test_unknown_architecture_is_one_error(meta_checkpoint, tmp_path, cli):
    import shutil

    ckpt = tmp_path / "ckpt"
    shutil.copytree(meta_checkpoint[0], ckpt)
    for path in sorted(ckpt.glob("consolidated.*.pth")):
        part = torch.load(path, weights_only=True)
        part["layers.0.attention.wqkv.weight"] = torch.zeros(2, 2)
        torch.save(part, path)
    code, err = cli("import-llama", ckpt, "-o", tmp_path / "out")
    assert code == 2
    assert err.strip().splitlines() == ["error: unknown architecture: tensor 'layers.0.attention.wqkv.weight' is "
                                        "not part of a LLaMA checkpoint"]
    params = json.loads((ckpt / "params.json").read_text())
    (ckpt / "params.json").write_text(json.dumps({**params, "moe": {"num_experts": 8}}))
    code, err = cli("import-llama", ckpt, "-o", tmp_path / "out")
    assert code == 2 and "field moe: mixture-of-experts checkpoints are not supported" in err
    assert leftovers(tmp_path, "out") == []
