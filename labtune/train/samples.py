"""From `--data` specs to encoded training samples (the data layer reads; this only encodes and counts)."""

from __future__ import annotations

from dataclasses import dataclass, field

from labtune.data.dataset import load_dataset
from labtune.data.templates import ChatTemplate
from labtune.data.tokenize import Encoded, encode_dataset
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


def load_samples(cfg: TrainConfig, template: ChatTemplate, tokenizer, max_length: int) -> Samples:
    if not cfg.data:
        raise LabtuneError("no training data: give --data FILE (repeat for several) or `data:` in the config")
    split = load_dataset(cfg.data, format=cfg.data_format, skip_invalid=cfg.skip_invalid,
                         eval_fraction=cfg.eval_fraction, seed=cfg.seed)
    train = encode_dataset(split.train, template, tokenizer, max_length)  # warns about dropped samples
    evals = encode_dataset(split.eval, template, tokenizer, max_length, warn=False)
    return Samples(train.samples, evals.samples, train.truncated, len(train.dropped), split.report())
