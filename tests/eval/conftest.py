"""Hand-made runs (labtune.json + model/) so eval tests do not depend on the trainer."""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path

import pytest
import torch

from eval_helpers import FACT_ANSWER, FACT_QUESTION, teach
from labtune.data.conversation import Conversation, Message


@contextmanager
def one_thread():
    """Tiny models gain nothing from intra-op threads, and on a shared CPU spinning threads slow
    generation down by an order of magnitude; restored after, so other areas' tests are unaffected."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@pytest.fixture(autouse=True)
def _one_thread():
    with one_thread():
        yield


@pytest.fixture(scope="session")
def taught_model_dir(tiny_model_dir, tmp_path_factory) -> Path:
    """The tiny model after learning to answer FACT_QUESTION with FACT_ANSWER and stop."""
    conv = Conversation([Message("user", FACT_QUESTION), Message("assistant", FACT_ANSWER)])
    with one_thread():
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
