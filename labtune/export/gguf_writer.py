"""`--to gguf`: a LLaMA-architecture run as one GGUF file for llama.cpp (and Ollama, LM Studio...).

Written with the `gguf` library (llama.cpp's own Python package): its tensor-name map, its writer
and its quantizers. Two things differ from a transformers checkpoint and are handled here:
- llama.cpp applies rotary embeddings to adjacent pairs of each head's dimensions, transformers to
  the two halves, so the Q and K projections' rows are re-ordered within each head;
- 1-D tensors (norms) stay float32 at every quantization, as llama.cpp's converter keeps them, and
  a matrix whose rows do not split into 32-value blocks falls back to f16.
"""

from __future__ import annotations

import json
from pathlib import Path

from labtune.errors import LabtuneError
from labtune.export.gguf_vocab import vocab_from_tokenizer
from labtune.export.output import staged
from labtune.export.rotary import halves_to_pairs
from labtune.export.source import Source
from labtune.model.resolve import GGUF_TEMPLATE_KEY

QUANTS = ("f32", "f16", "q8_0", "q4_0")
SOURCE_KEY = "labtune.source"


def _qtypes(quant: str):
    """(file type, matrix type, embedding type) for a --quant choice."""
    import gguf

    Q, F = gguf.GGMLQuantizationType, gguf.LlamaFileType
    return {
        "f32": (F.ALL_F32, Q.F32, Q.F32),
        "f16": (F.MOSTLY_F16, Q.F16, Q.F16),
        "q8_0": (F.MOSTLY_Q8_0, Q.Q8_0, Q.Q8_0),
        # the embedding (also the output layer when tied) is the most sensitive tensor: it stays at 8 bits
        "q4_0": (F.MOSTLY_Q4_0, Q.Q4_0, Q.Q8_0),
    }[quant]


def check_architecture(config) -> None:
    """Only what this writer maps exactly: LLaMA, without biases or rope scaling."""
    model_type = getattr(config, "model_type", None)
    if model_type != "llama":
        raise LabtuneError(f"GGUF export supports LLaMA-architecture models; this one is {model_type!r} "
                           "(export it --to hf instead)")
    if getattr(config, "attention_bias", False) or getattr(config, "mlp_bias", False):
        raise LabtuneError("GGUF export: LLaMA with attention or MLP biases is not supported")
    rope = getattr(config, "rope_parameters", None) or getattr(config, "rope_scaling", None) or {}
    if rope.get("rope_type", "default") != "default":
        raise LabtuneError(f"GGUF export: rope scaling {rope.get('rope_type')!r} is not supported")


def rope_theta(config) -> float:
    rope = getattr(config, "rope_parameters", None) or {}
    return float(rope.get("rope_theta", getattr(config, "rope_theta", 10000.0)))


def _tensors(model, config):
    """(gguf name, float32 numpy array) for every weight, Q/K re-ordered, the tied output skipped."""
    import gguf

    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.LLAMA, config.num_hidden_layers)
    tied = bool(getattr(config, "tie_word_embeddings", False))
    heads, kv_heads = config.num_attention_heads, config.num_key_value_heads or config.num_attention_heads
    for hf_name, tensor in model.state_dict().items():
        if hf_name.endswith("rotary_emb.inv_freq") or (tied and hf_name == "lm_head.weight"):
            continue
        name = names.get_name(hf_name, try_suffixes=(".weight", ".bias"))
        if name is None:
            raise LabtuneError(f"GGUF export: no llama.cpp name for tensor {hf_name!r}")
        array = tensor.detach().float().cpu().numpy()
        if hf_name.endswith("self_attn.q_proj.weight"):
            array = halves_to_pairs(array, heads)
        elif hf_name.endswith("self_attn.k_proj.weight"):
            array = halves_to_pairs(array, kv_heads)
        yield name, array


def _encode(array, name: str, matrix_type, embedding_type):
    """(data, ggml type) of one tensor at the requested precision."""
    import gguf
    import numpy as np

    Q = gguf.GGMLQuantizationType
    if array.ndim < 2:
        return array.astype(np.float32), Q.F32
    qtype = embedding_type if name in ("token_embd.weight", "output.weight") else matrix_type
    if qtype == Q.F32:
        return array.astype(np.float32), Q.F32
    if qtype == Q.F16:
        return array.astype(np.float16), Q.F16
    block = gguf.GGML_QUANT_SIZES[qtype][0]
    if array.shape[-1] % block:
        return array.astype(np.float16), Q.F16
    return gguf.quants.quantize(array, qtype), qtype


def write_gguf(source: Source, path: Path, quant: str = "f16") -> None:
    """Write `source` as a GGUF file at `path` (a new file)."""
    import gguf

    if quant not in QUANTS:
        raise LabtuneError(f"unknown --quant {quant!r}: use one of {', '.join(QUANTS)}")
    config = source.model.config
    check_architecture(config)
    vocab = vocab_from_tokenizer(source.tokenizer, config.vocab_size, source.template.eot, source.chat_template)
    file_type, matrix_type, embedding_type = _qtypes(quant)
    heads = config.num_attention_heads
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // heads

    writer = gguf.GGUFWriter(path, arch="llama")
    writer.add_type("model")
    writer.add_name(Path(source.name).name or source.name)
    writer.add_block_count(config.num_hidden_layers)
    writer.add_context_length(config.max_position_embeddings)
    writer.add_embedding_length(config.hidden_size)
    writer.add_feed_forward_length(config.intermediate_size)
    writer.add_head_count(heads)
    writer.add_head_count_kv(config.num_key_value_heads or heads)
    writer.add_rope_freq_base(rope_theta(config))
    writer.add_layer_norm_rms_eps(config.rms_norm_eps)
    writer.add_rope_dimension_count(head_dim)
    if head_dim != config.hidden_size // heads:
        writer.add_key_length(head_dim)
        writer.add_value_length(head_dim)
    writer.add_vocab_size(config.vocab_size)
    writer.add_file_type(file_type)
    if quant in ("q8_0", "q4_0"):
        writer.add_quantization_version(gguf.GGML_QUANT_VERSION)
    vocab.write(writer)
    if source.run is not None:  # labtune then loads the file with the run's own template object
        writer.add_string(GGUF_TEMPLATE_KEY, json.dumps(source.run.template_spec))
    writer.add_string(SOURCE_KEY, source.name)
    for name, array in _tensors(source.model, config):
        data, qtype = _encode(array, name, matrix_type, embedding_type)
        writer.add_tensor(name, data, raw_dtype=qtype)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def export_gguf(source: Source, out: Path, quant: str = "f16", force: bool = False) -> Path:
    with staged(out, force, directory=False) as tmp:
        write_gguf(source, tmp, quant)
    return out
