"""Helpers for eval tests: hand-made runs and a tiny model taught one fact."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from labtune.data.conversation import Conversation

FACT_QUESTION = "Who presented at the lab meeting on 4/14/2023?"
FACT_ANSWER = "Alice Smith"


def write_run(run: Path, model_dir: Path, base: Path, train_s: float | None = None, config: dict | None = None) -> Path:
    """A run directory as `labtune train` writes it: model/, labtune.json, run.json."""
    run.mkdir(parents=True, exist_ok=True)
    shutil.copytree(model_dir, run / "model")
    (run / "run.json").write_text(json.dumps({"config": config or {}, "timings": {"train_s": train_s}}))
    (run / "labtune.json").write_text(json.dumps({"template": "tokenizer", "base_model": str(base), "kind": "full"}))
    return run


def teach(model_dir: Path, out: Path, conversations: list[Conversation], max_steps: int = 80) -> Path:
    """Overfit a tiny model on a few conversations (assistant tokens only) until greedy decoding recites
    them: every assistant token is the argmax under teacher forcing, with some margin (loss < 0.3)."""
    import torch

    from labtune.data.tokenize import IGNORE_INDEX, encode
    from labtune.model.load import load

    loaded = load(str(model_dir))
    model = loaded.model
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    model.train()
    batch = [encode(c, loaded.template, loaded.tokenizer) for c in conversations]
    for _ in range(max_steps):
        learned = True
        for enc in batch:
            ids, labels = torch.tensor([enc.input_ids]), torch.tensor([enc.labels])
            output = model(input_ids=ids, labels=labels)
            output.loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            targets = labels[0, 1:]
            scored = targets != IGNORE_INDEX
            recited = bool((output.logits[0, :-1].argmax(-1)[scored] == targets[scored]).all())
            learned = learned and recited and output.loss.item() < 0.3
        if learned:
            break
    model.save_pretrained(out)
    loaded.tokenizer.save_pretrained(out)
    return out
