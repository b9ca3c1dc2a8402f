"""`labtune import-llama`: Meta's original LLaMA checkpoint -> a Hugging Face LLaMA directory.

Meta's layout: `params.json` (dim, n_layers, n_heads, n_kv_heads, norm_eps, rope_theta...),
`consolidated.NN.pth` (one shard per model-parallel rank) and a SentencePiece `tokenizer.model`.
Shards are read with `torch.load(weights_only=True)` (no pickled code runs) and joined along the
dimension each layer was split on in Meta's model-parallel code: column-parallel projections (wq,
wk, wv, w1, w3, output) by rows, row-parallel ones (wo, w2) by columns, the embedding by whichever
dimension its shards are short of; norms are replicated. Q/K rows go from Meta's pair order to
transformers' half order (`rotary`). The result trains with `labtune train --model OUT`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from labtune.errors import LabtuneError
from labtune.export.output import staged
from labtune.export.rotary import pairs_to_halves

# Meta name pattern -> (transformers name, dimension the shards are joined on; None = replicated)
LAYER_WEIGHTS = {
    "attention.wq.weight": ("self_attn.q_proj.weight", 0),
    "attention.wk.weight": ("self_attn.k_proj.weight", 0),
    "attention.wv.weight": ("self_attn.v_proj.weight", 0),
    "attention.wo.weight": ("self_attn.o_proj.weight", 1),
    "feed_forward.w1.weight": ("mlp.gate_proj.weight", 0),
    "feed_forward.w3.weight": ("mlp.up_proj.weight", 0),
    "feed_forward.w2.weight": ("mlp.down_proj.weight", 1),
    "attention_norm.weight": ("input_layernorm.weight", None),
    "ffn_norm.weight": ("post_attention_layernorm.weight", None),
}
TOP_WEIGHTS = {"norm.weight": ("model.norm.weight", None), "output.weight": ("lm_head.weight", 0),
               "tok_embeddings.weight": ("model.embed_tokens.weight", "embedding")}
SKIPPED = ("rope.freqs",)
UNSUPPORTED_PARAMS = {"moe": "mixture-of-experts", "use_scaled_rope": "LLaMA 3.1 scaled rope",
                      "vision_chunk_size": "vision"}


def read_params(ckpt: Path) -> dict:
    path = ckpt / "params.json"
    if not path.is_file():
        raise LabtuneError(f"{ckpt}: no params.json (not a Meta LLaMA checkpoint directory)")
    try:
        params = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise LabtuneError(f"{path}: invalid JSON at line {exc.lineno}") from None
    for key in ("dim", "n_layers", "n_heads"):
        if not isinstance(params.get(key), int):
            raise LabtuneError(f"{path}: field {key}: missing or not an integer")
    for key, what in UNSUPPORTED_PARAMS.items():
        if params.get(key):
            raise LabtuneError(f"{path}: field {key}: {what} checkpoints are not supported (plain LLaMA only)")
    return params


def read_shards(ckpt: Path) -> list[dict]:
    import pickle

    import torch

    files = sorted(ckpt.glob("consolidated.*.pth"))
    if not files:
        raise LabtuneError(f"{ckpt}: no consolidated.NN.pth weight files")
    shards = []
    for file in files:
        try:
            shards.append(torch.load(file, map_location="cpu", weights_only=True, mmap=True))
        except (RuntimeError, EOFError, pickle.UnpicklingError, OSError, ValueError) as exc:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise LabtuneError(f"{file}: cannot read weights ({first}); is the file complete?") from None
        if not isinstance(shards[-1], dict):
            raise LabtuneError(f"{file}: expected a dict of tensors")
    return shards


def _join(name: str, pieces: list, how, dim: int):
    import torch

    if how is None or len(pieces) == 1:
        return pieces[0]
    if how == "embedding":  # LLaMA 1/2 split the embedding's columns, LLaMA 3 its rows
        how = 1 if pieces[0].shape[1] * len(pieces) == dim else 0
    return torch.cat(pieces, dim=how)


def convert_weights(shards: list[dict], params: dict) -> dict:
    """Meta state dicts (one per shard) -> one transformers state dict."""
    n_layers, dim = params["n_layers"], params["dim"]
    heads = params["n_heads"]
    kv_heads = params.get("n_kv_heads") or heads
    layer_re = re.compile(r"layers\.(\d+)\.(.+)")
    out = {}
    for name in shards[0]:
        if name.endswith(SKIPPED):
            continue
        match = layer_re.fullmatch(name)
        if match and match.group(2) in LAYER_WEIGHTS and int(match.group(1)) < n_layers:
            hf_suffix, how = LAYER_WEIGHTS[match.group(2)]
            hf_name = f"model.layers.{match.group(1)}.{hf_suffix}"
        elif name in TOP_WEIGHTS:
            hf_name, how = TOP_WEIGHTS[name]
        else:
            raise LabtuneError(f"unknown architecture: tensor {name!r} is not part of a LLaMA checkpoint")
        try:
            tensor = _join(name, [shard[name] for shard in shards], how, dim)
        except KeyError:
            raise LabtuneError(f"tensor {name!r} is missing from a shard") from None
        if hf_name.endswith("q_proj.weight"):
            tensor = pairs_to_halves(tensor, heads)
        elif hf_name.endswith("k_proj.weight"):
            tensor = pairs_to_halves(tensor, kv_heads)
        out[hf_name] = tensor.contiguous()
    return out


def build_config(params: dict, weights: dict, tokenizer, max_position_embeddings: int):
    from transformers import LlamaConfig

    vocab_rows = weights["model.embed_tokens.weight"].shape[0]
    if params.get("vocab_size", -1) not in (-1, vocab_rows):
        raise LabtuneError(f"params.json: field vocab_size: {params['vocab_size']}, but the embedding has "
                           f"{vocab_rows} rows")
    if len(tokenizer) > vocab_rows:
        raise LabtuneError(f"tokenizer.model has {len(tokenizer)} tokens but the embedding has {vocab_rows} rows")
    return LlamaConfig(
        vocab_size=vocab_rows, hidden_size=params["dim"],
        intermediate_size=weights["model.layers.0.mlp.gate_proj.weight"].shape[0],
        num_hidden_layers=params["n_layers"], num_attention_heads=params["n_heads"],
        num_key_value_heads=params.get("n_kv_heads") or params["n_heads"],
        rms_norm_eps=float(params.get("norm_eps", 1e-5)), rope_theta=float(params.get("rope_theta", 10000.0)),
        max_position_embeddings=max_position_embeddings, tie_word_embeddings=False,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        dtype=weights["model.embed_tokens.weight"].dtype)


def read_tokenizer(ckpt: Path):
    """tokenizer.model (SentencePiece) as a transformers LLaMA tokenizer that adds BOS."""
    import sentencepiece
    from transformers import LlamaTokenizer

    path = ckpt / "tokenizer.model"
    if not path.is_file():
        raise LabtuneError(f"{ckpt}: no tokenizer.model")
    try:
        sentencepiece.SentencePieceProcessor(model_file=str(path))
    except (RuntimeError, OSError) as exc:
        raise LabtuneError(f"{path}: not a SentencePiece model ({exc}); LLaMA 3's tiktoken tokenizer is not "
                           "supported") from None
    return LlamaTokenizer.from_pretrained(str(ckpt), add_bos_token=True)


def import_llama(ckpt: Path, out: Path, max_position_embeddings: int = 2048, force: bool = False) -> Path:
    """Convert the checkpoint at `ckpt` into the HF directory `out`."""
    import torch
    from transformers import LlamaForCausalLM
    from transformers.utils import logging as hf_logging

    ckpt = Path(ckpt)
    params = read_params(ckpt)
    tokenizer = read_tokenizer(ckpt)
    try:
        weights = convert_weights(read_shards(ckpt), params)
        config = build_config(params, weights, tokenizer, max_position_embeddings)
        with torch.device("meta"):
            model = LlamaForCausalLM(config)
        missing, unexpected = model.load_state_dict(weights, strict=False, assign=True)
    except (RuntimeError, ValueError) as exc:  # shapes that contradict params.json
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise LabtuneError(f"{ckpt}: the weights do not match params.json: {first}") from None
    if missing or unexpected:
        name = (missing or unexpected)[0]
        raise LabtuneError(f"{ckpt}: the checkpoint does not match params.json: tensor {name!r} is "
                           f"{'missing' if missing else 'unexpected'}")
    with staged(out, force) as tmp:
        hf_logging.disable_progress_bar()
        try:
            model.save_pretrained(tmp)
        finally:
            hf_logging.enable_progress_bar()
        tokenizer.save_pretrained(tmp)
    return out
