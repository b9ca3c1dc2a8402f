"""Fixtures for training tests: a small ShareGPT file and a config factory on the tiny model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from labtune.train.config import TrainConfig


def write_chats(path: Path, n: int, seed: int = 0) -> Path:
    """`n` distinct ShareGPT conversations of varied length (some two-turn)."""
    words = "alpha beta gamma delta lab meeting notes presenter topic date paper model data".split()
    records = []
    for i in range(n):
        reply = " ".join(words[(i * 7 + k + seed) % len(words)] for k in range(3 + (i * 5) % 11))
        turns = [{"from": "human", "value": f"Question {i}: what about {words[i % len(words)]}?"},
                 {"from": "gpt", "value": f"Answer {i}: {reply}."}]
        if i % 3 == 0:
            turns += [{"from": "human", "value": "And then?"}, {"from": "gpt", "value": f"Then {reply}."}]
        records.append({"id": f"c{i}", "conversations": turns})
    path.write_text(json.dumps(records), encoding="utf-8")
    return path


@pytest.fixture
def chats(tmp_path) -> Path:
    return write_chats(tmp_path / "chats.json", 8)


@pytest.fixture
def make_cfg(tmp_path, tiny_model_dir, chats):
    def make(**overrides) -> TrainConfig:
        values = dict(model=str(tiny_model_dir), data=[str(chats)], output_dir=str(tmp_path / "run"),
                      per_device_train_batch_size=2, gradient_accumulation_steps=2, num_train_epochs=2,
                      learning_rate=1e-3, save_steps=3, quiet=True, seed=7)
        values.update(overrides)
        return TrainConfig(**values)

    return make
