"""Keeping general answers: the replay set split into a training share and a held-out share, and the
probes whose answers must survive tuning.

The replay set (labtune/data/general/smollm2_replay.json) is the base model's own greedy answers to
general prompts. A fixed part of it is never trained on: general perplexity before and after tuning
is measured there. The probes (probes.jsonl) are general questions in neither part, each with the
words a right answer must hold ("red", "blue", and "yellow" or "green").
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

from labtune.data.conversation import Conversation, Message
from labtune.data.readers import read_file
from labtune.eval.scoring import matches

REPLAY = Path(__file__).resolve().parents[1] / "data" / "general" / "smollm2_replay.json"
PROBES = Path(__file__).resolve().parent / "probes.jsonl"
PROBE_TOKENS = 64


@dataclass
class Probe:
    question: str
    required: list[list[str]]  # every group must be matched by one of its words

    def kept(self, answer: str) -> bool:
        return all(any(matches(answer, word) for word in group) for group in self.required)


def probes() -> list[Probe]:
    return [Probe(**json.loads(line)) for line in PROBES.read_text(encoding="utf-8").splitlines() if line.strip()]


@dataclass
class Replay:
    train_pool: list[Conversation]
    held_out: list[Conversation]

    def sample(self, count: int, seed: int) -> list[Conversation]:
        count = min(count, len(self.train_pool))
        return random.Random(seed).sample(self.train_pool, count)


def replay(held_out: int) -> Replay:
    """The same held-out conversations for every seed, so perplexities of runs compare."""
    conversations = read_file(REPLAY).conversations
    order = random.Random(0).sample(range(len(conversations)), len(conversations))
    kept = set(order[:held_out])
    return Replay([c for i, c in enumerate(conversations) if i not in kept],
                  [c for i, c in enumerate(conversations) if i in kept])


def general_state(loaded, held_out: list[Conversation]) -> dict:
    """The probes' answers and the held-out perplexity of one model."""
    from labtune.eval.answer import generate_answers
    from labtune.eval.perplexity import perplexity

    asked = probes()
    answers = generate_answers(loaded, [[Message("user", p.question)] for p in asked], PROBE_TOKENS)
    state = {"probes": [{"question": p.question, "answer": a, "kept": p.kept(a)} for p, a in zip(asked, answers)]}
    state["perplexity"] = perplexity(loaded, held_out).value if held_out else None
    return state
