"""From `--data` specs to encoded training samples (the data layer reads; this only encodes and counts)."""

from __future__ import annotations

from dataclasses import dataclass, field

from labtune.data.conversation import Conversation
from labtune.data.dataset import load_dataset
from labtune.data.templates import ChatTemplate
from labtune.data.tokenize import Encoded, encode
from labtune.errors import LabtuneError
from labtune.train.config import TrainConfig


@dataclass
class Samples:
    train: list[Encoded]
    eval: list[Encoded]
    truncated: int = 0  # cut at model_max_length, still trained on
    dropped: int = 0  # no trainable token left after truncation
    report: dict = field(default_factory=dict)

    @property
    def tokens(self) -> int:
        return sum(len(s.input_ids) for s in self.train)

    @property
    def trainable_tokens(self) -> int:
        return sum(s.trainable_tokens for s in self.train)


def encode_all(convs: list[Conversation], template: ChatTemplate, tokenizer, max_length: int) -> tuple:
    kept, truncated, dropped = [], 0, 0
    for conv in convs:
        sample = encode(conv, template, tokenizer, max_length)
        truncated += sample.truncated
        # A sample needs a trainable token that has a token before it (the first token predicts nothing).
        if any(label != -100 for label in sample.labels[1:]):
            kept.append(sample)
        else:
            dropped += 1
    return kept, truncated, dropped


def load_samples(cfg: TrainConfig, template: ChatTemplate, tokenizer, max_length: int) -> Samples:
    if not cfg.data:
        raise LabtuneError("no training data: give --data FILE (repeat for several) or `data:` in the config")
    split = load_dataset(cfg.data, format=cfg.data_format, skip_invalid=cfg.skip_invalid,
                         eval_fraction=cfg.eval_fraction, seed=cfg.seed)
    train, truncated, dropped = encode_all(split.train, template, tokenizer, max_length)
    evals, _, _ = encode_all(split.eval, template, tokenizer, max_length)
    return Samples(train, evals, truncated, dropped, split.report())
