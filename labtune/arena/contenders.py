"""The runs and models in an arena, and their answers: generated once through the one loader with each
run's own template, and cached in the votes database per (weights, question, settings), so voters
never wait for a model and a restarted arena generates nothing twice.

Answers are greedy: a vote then compares the models, not the luck of one sample, and the cache holds
the one answer each model gives.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from labtune.arena.votes import VoteStore
from labtune.data.conversation import Message
from labtune.errors import LabtuneError
from labtune.eval.questions import Question
from labtune.model.resolve import ALIASES, alias_gguf, is_model_dir, resolve_model
from labtune.model.run_dir import RunDir


@dataclass(frozen=True)
class Contender:
    spec: str  # as the user gave it (run dir, model dir, .gguf, alias)
    name: str  # what voters see after a vote and the leaderboard lists
    key: str  # fingerprint of the weights: retraining a run into the same directory changes it


def _weight_paths(spec: str) -> list[Path]:
    """The files that decide what a run or model answers, found without loading (or converting) it."""
    run = RunDir.find(spec)
    if run is not None:
        run.require_weights()
        paths = run.weight_files_roots()
        if run.model_dir is None and run.base_model:
            paths += _weight_paths(run.base_model)
        return paths
    if spec in ALIASES:
        return [alias_gguf(spec)]
    path = Path(spec).expanduser()
    if path.is_file() and path.suffix == ".gguf":
        return [path]
    if path.is_dir() and is_model_dir(path):
        return [path]
    return [resolve_model(spec)]  # raises the loader's own "not found" / "not a model directory" error


def fingerprint(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for root in paths:
        files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
        for file in files:
            stat = file.stat()
            digest.update(f"{file.resolve()}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def contender(spec: str) -> Contender:
    """Check that `spec` is a run or a model (an unknown name is a one-line error) without loading it."""
    spec = str(spec)
    name = spec if spec in ALIASES else os.path.normpath(spec)
    return Contender(spec, name, fingerprint(_weight_paths(spec)))


def contenders(specs: list[str]) -> list[Contender]:
    found = [contender(s) for s in specs]
    names = [c.name for c in found]
    if len(set(names)) < 2:
        raise LabtuneError("an arena needs at least two different runs or models "
                           f"(got {', '.join(names) or 'none'})")
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise LabtuneError(f"{', '.join(duplicates)} given twice")
    return found


def question_id(prompt: list[Message]) -> str:
    """Stable id of a prompt (all its messages), the answer cache's and the votes' key."""
    text = json.dumps([[m.role, m.content] for m in prompt], ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def answer_all(store: VoteStore, entrants: list[Contender], questions: list[Question], max_new_tokens: int,
               device: str | None = None, on_model: Callable[[Contender, int], None] | None = None
               ) -> dict[str, dict[str, str]]:
    """name -> question id -> answer, generating (one model in memory at a time) only what is not cached."""
    settings = {"decoding": "greedy", "max_new_tokens": max_new_tokens}
    by_id = {question_id(q.prompt): q for q in questions}
    answers: dict[str, dict[str, str]] = {}
    for entrant in entrants:
        cached = store.cached_answers(entrant.key, settings)
        missing = [qid for qid in by_id if qid not in cached]
        if on_model:
            on_model(entrant, len(missing))
        if missing:
            texts = generate(entrant.spec, [by_id[qid].prompt for qid in missing], max_new_tokens, device)
            fresh = dict(zip(missing, texts))
            store.cache_answers(entrant.key, entrant.name, settings, fresh)
            cached.update(fresh)
        answers[entrant.name] = {qid: cached[qid] for qid in by_id}
    return answers


def generate(spec: str, prompts: list[list[Message]], max_new_tokens: int, device: str | None = None) -> list[str]:
    """Greedy answers of one run or model, loaded with its own template (safetensors weights only)."""
    import gc

    import torch

    from labtune.eval.answer import generate_answers
    from labtune.model.load import load
    from labtune.serve.safety import check_safetensors_only

    check_safetensors_only(spec)
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    dtype = torch.bfloat16 if device.startswith("cuda") else torch.float32
    loaded = load(spec, dtype=dtype, device=device)
    try:
        return generate_answers(loaded, prompts, max_new_tokens=max_new_tokens, batch_size=8)
    finally:
        del loaded
        gc.collect()
