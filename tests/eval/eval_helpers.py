"""Helpers for eval tests: hand-made runs and a tiny model taught one fact."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from labtune.data.conversation import Conversation

FACT_QUESTION = "Who presented at the lab meeting on 4/14/2023?"
FACT_ANSWER = "Alice Smith"


def write_run(run: Path, model_dir: Path, base: Path, **meta) -> Path:
    run.mkdir(parents=True, exist_ok=True)
    shutil.copytree(model_dir, run / "model")
    (run / "labtune.json").write_text(json.dumps({"template": "tokenizer", "base_model": str(base),
                                                  "kind": "full", **meta}))
    return run


def teach(model_dir: Path, out: Path, conversations: list[Conversation], steps: int = 60) -> Path:
    """Overfit a tiny model on a few conversations (assistant tokens only), in seconds."""
    import torch

    from labtune.model.load import load

    loaded = load(str(model_dir))
    from labtune.data.tokenize import encode

    model = loaded.model
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    model.train()
    batch = [encode(c, loaded.template, loaded.tokenizer) for c in conversations]
    for _ in range(steps):
        for enc in batch:
            loss = model(input_ids=torch.tensor([enc.input_ids]), labels=torch.tensor([enc.labels])).loss
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
    model.save_pretrained(out)
    loaded.tokenizer.save_pretrained(out)
    return out
