"""Hand-made runs (labtune.json + model/) so eval tests do not depend on the trainer."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from labtune.data.conversation import Conversation, Message

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


@pytest.fixture(scope="session")
def taught_model_dir(tiny_model_dir, tmp_path_factory) -> Path:
    """The tiny model after learning to answer FACT_QUESTION with FACT_ANSWER and stop."""
    conv = Conversation([Message("user", FACT_QUESTION), Message("assistant", FACT_ANSWER)])
    return teach(tiny_model_dir, tmp_path_factory.mktemp("taught"), [conv])


@pytest.fixture
def questions_file(tmp_path) -> Path:
    path = tmp_path / "questions.jsonl"
    rows = [{"question": FACT_QUESTION, "answers": ["Alice Smith", "Alice"], "kind": "presenter"},
            {"question": "Who recorded the lab meeting on 4/14/2023?", "answers": ["Bob Jones"], "kind": "recorder"}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.fixture
def general_file(tmp_path) -> Path:
    path = tmp_path / "general.json"
    convs = [{"id": f"g{i}", "conversations": [{"from": "human", "value": q}, {"from": "gpt", "value": a}]}
             for i, (q, a) in enumerate([("What is the capital of France?", "Paris is the capital of France."),
                                         ("Name a primary color.", "Red is a primary color."),
                                         ("How many legs does a spider have?", "A spider has eight legs.")])]
    path.write_text(json.dumps(convs))
    return path
