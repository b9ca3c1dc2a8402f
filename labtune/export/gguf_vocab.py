"""A Hugging Face tokenizer as GGUF tokenizer metadata (llama.cpp's `tokenizer.ggml.*` keys).

Two vocabularies are written, the two LLaMA-family models use:
- byte-level BPE ("gpt2": SmolLM2, LLaMA 3...): tokens, merges, token types, and the name of the
  pre-tokenizer regex llama.cpp must split with (read off the tokenizer's own pre-tokenizer);
- SentencePiece-style BPE with byte fallback ("llama": LLaMA 1/2, Vicuna): tokens, scores and token
  types. llama.cpp merges the adjacent pair whose result has the highest score, so each token's score
  is minus the rank of the merge that makes it: the same order in which the BPE model applies merges.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from labtune.errors import LabtuneError

# gguf.TokenType values (llama.cpp's llama_token_type)
NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE = 1, 2, 3, 4, 5, 6


@dataclass
class GGUFVocab:
    model: str  # "gpt2" | "llama"
    tokens: list[str]
    token_types: list[int]
    pre: str | None = None  # gpt2 only: llama.cpp's pre-tokenizer name
    merges: list[str] = field(default_factory=list)
    scores: list[float] | None = None
    special_ids: dict[str, int] = field(default_factory=dict)  # bos, eos, eot, unk, pad
    add_bos: bool = False
    add_space_prefix: bool = False
    chat_template: str = ""

    def write(self, writer) -> None:
        """Add this vocabulary to a `gguf.GGUFWriter`."""
        writer.add_tokenizer_model(self.model)
        if self.pre:
            writer.add_tokenizer_pre(self.pre)
        writer.add_token_list(self.tokens)
        writer.add_token_types(self.token_types)
        if self.scores is not None:
            writer.add_token_scores(self.scores)
        if self.merges:
            writer.add_token_merges(self.merges)
        adders = {"bos": writer.add_bos_token_id, "eos": writer.add_eos_token_id, "eot": writer.add_eot_token_id,
                  "unk": writer.add_unk_token_id, "pad": writer.add_pad_token_id}
        for name, token_id in self.special_ids.items():
            adders[name](token_id)
        writer.add_add_bos_token(self.add_bos)
        writer.add_add_eos_token(False)
        writer.add_add_space_prefix(self.add_space_prefix)
        if self.chat_template:
            writer.add_chat_template(self.chat_template)


def _pre_tokenizer_name(pre: dict | None) -> str:
    """llama.cpp's name for the regex this byte-level pre-tokenizer splits with."""
    steps = pre.get("pretokenizers", []) if pre and pre.get("type") == "Sequence" else [pre] if pre else []
    kinds = [step.get("type") for step in steps]
    if kinds == ["ByteLevel"] and steps[0].get("use_regex", True):
        return "gpt-2"  # llama.cpp spells the GPT-2 regex with a hyphen
    if kinds == ["Digits", "ByteLevel"] and steps[0].get("individual_digits") and steps[1].get("use_regex", True):
        return "smollm"  # GPT-2's regex after splitting every digit
    if kinds == ["Split", "ByteLevel"] and "\\p{N}{1,3}" in json.dumps(steps[0].get("pattern")):
        return "llama-bpe"
    raise LabtuneError(f"the tokenizer's pre-tokenizer ({' + '.join(map(str, kinds)) or 'none'}) has no "
                       "llama.cpp equivalent labtune knows; GGUF export supports GPT-2, SmolLM and LLaMA 3 "
                       "byte-level tokenizers and SentencePiece LLaMA tokenizers")


def _merge_strings(merges: list) -> list[str]:
    return [" ".join(m) if isinstance(m, (list, tuple)) else m for m in merges]


def _spm_scores(tokens: list[str], merges: list[str]) -> list[float]:
    """Score = -rank of the first merge producing the token; tokens no merge makes score 0."""
    rank: dict[str, int] = {}
    for i, merge in enumerate(merges):
        left, right = merge.split(" ", 1)
        rank.setdefault(left + right, i)
    return [-float(rank[t] + 1) if t in rank else 0.0 for t in tokens]


def _adds_space_prefix(spec: dict) -> bool:
    text = json.dumps({k: spec.get(k) for k in ("normalizer", "pre_tokenizer")})
    return '"Prepend"' in text or '"prepend_scheme": "always"' in text or '"prepend_scheme": "first"' in text


def vocab_from_tokenizer(tokenizer, vocab_size: int, eot: str | None, chat_template: str) -> GGUFVocab:
    """Read `tokenizer` (a fast tokenizer) into GGUF form, padded to the model's `vocab_size`."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None:
        raise LabtuneError("GGUF export needs a fast (tokenizers) tokenizer")
    spec = json.loads(backend.to_str())
    model = spec.get("model", {})
    if model.get("type") != "BPE":
        raise LabtuneError(f"GGUF export supports BPE tokenizers; this one is {model.get('type')!r}")
    by_id = {i: t for t, i in tokenizer.get_vocab().items()}
    if len(by_id) > vocab_size:
        raise LabtuneError(f"the tokenizer has {len(by_id)} tokens but the model's vocabulary is {vocab_size}")
    added = {i: tok for i, tok in tokenizer.added_tokens_decoder.items()}
    merges = _merge_strings(model.get("merges") or [])
    byte_fallback = bool(model.get("byte_fallback"))
    tokens, types = [], []
    for i in range(vocab_size):
        token = by_id.get(i)
        if token is None:
            tokens.append(f"[PAD{i}]")
            types.append(UNUSED)
        elif i in added:
            tokens.append(token)
            types.append(CONTROL if added[i].special else USER_DEFINED)
        elif byte_fallback and len(token) == 6 and token.startswith("<0x") and token.endswith(">"):
            tokens.append(token)
            types.append(BYTE)
        else:
            tokens.append(token)
            types.append(NORMAL)
    if tokenizer.unk_token_id is not None and types[tokenizer.unk_token_id] != UNUSED and byte_fallback:
        types[tokenizer.unk_token_id] = UNKNOWN
    special = {"bos": tokenizer.bos_token_id, "eos": tokenizer.eos_token_id, "unk": tokenizer.unk_token_id,
               "pad": tokenizer.pad_token_id}
    eot_id = tokenizer.convert_tokens_to_ids(eot) if eot else None
    if isinstance(eot_id, int) and eot_id != tokenizer.unk_token_id:
        special["eot"] = eot_id
    special = {k: int(v) for k, v in special.items() if v is not None}
    probe = tokenizer("a", add_special_tokens=True)["input_ids"]
    add_bos = bool(probe) and tokenizer.bos_token_id is not None and probe[0] == tokenizer.bos_token_id
    common = dict(tokens=tokens, token_types=types, special_ids=special, add_bos=add_bos,
                  chat_template=chat_template)
    if byte_fallback:
        return GGUFVocab("llama", scores=_spm_scores(tokens, merges), add_space_prefix=_adds_space_prefix(spec),
                         **common)
    return GGUFVocab("gpt2", pre=_pre_tokenizer_name(spec.get("pre_tokenizer")), merges=merges, **common)
