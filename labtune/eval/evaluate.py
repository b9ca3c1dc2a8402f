"""Evaluate models on knowledge questions and on a general chat set (forgetting).

`evaluate_questions` is the small API the demo uses; `evaluate_model` does everything one model
needs (answers, general perplexity, general answers) and caches it, so a run's base model is
evaluated once however many runs share it.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from labtune.data.conversation import Conversation, Message
from labtune.eval.answer import generate_answers
from labtune.eval.books import CLOSED
from labtune.eval.perplexity import perplexity
from labtune.eval.questions import Question, question_from_dict
from labtune.eval.scoring import score
from labtune.model.resolve import labtune_home, resolve_model
from labtune.model.run_dir import RunDir

CACHE_VERSION = 1


@dataclass
class QuestionResult:
    question: str
    answers: list[str]  # acceptable references
    answer: str  # what the model said
    correct: bool
    kind: str | None = None


@dataclass
class Settings:
    max_new_tokens: int = 64
    batch_size: int = 32
    general_samples: int = 32  # conversations of the general set scored for perplexity
    general_questions: int = 5  # their first user turns, answered side by side with the base
    max_length: int = 512


@dataclass
class ModelEval:
    """Everything generated for one model; scoring is redone from it, so it can be cached."""

    name: str
    answers: list[str]
    general_perplexity: dict | None = None
    general_answers: list[str] = field(default_factory=list)
    base_model: str | None = None
    train_seconds: float | None = None
    eval_seconds: float = 0.0
    cached: bool = False
    book_answers: dict[str, list[str]] = field(default_factory=dict)  # open-book / right-note answers, by mode
    answer_seconds: dict[str, float] = field(default_factory=dict)  # time to answer all questions, by mode


def evaluate_questions(loaded, questions: list[Question | dict], match: str = "contains", max_new_tokens: int = 64,
                       batch_size: int = 32, notes=None, notes_k: int = 3) -> list[QuestionResult]:
    """Answer each question greedily with the model's template and score it.

    `questions`: from `load_questions`, or dicts as in a questions file ({"question", "answers", "kind"?}).
    `notes`: a `labtune.retrieval.NotesIndex` to answer open-book (the retrieved notes in each prompt).
    """
    from labtune.retrieval import open_book

    questions = [q if isinstance(q, Question) else question_from_dict(q) for q in questions]
    prompts = [open_book(q.prompt, notes, notes_k)[0] for q in questions]
    answers = generate_answers(loaded, prompts, max_new_tokens, batch_size)
    return score_answers(questions, answers, match)


def score_answers(questions: list[Question], answers: list[str], match: str) -> list[QuestionResult]:
    return [QuestionResult(q.text, q.answers, a, score(a, q.answers, match), q.kind)
            for q, a in zip(questions, answers)]


def accuracy(results: list[QuestionResult]) -> dict[str, float]:
    """Fraction correct per kind (kinds in first-seen order) and "overall"."""
    by_kind: dict[str, list[bool]] = {}
    for r in results:
        if r.kind is not None:
            by_kind.setdefault(r.kind, []).append(r.correct)
    out = {kind: sum(v) / len(v) for kind, v in by_kind.items()}
    out["overall"] = sum(r.correct for r in results) / len(results) if results else float("nan")
    return out


def general_prompts(conversations: list[Conversation], n: int) -> list[list]:
    """Up to n distinct prompts: each conversation's messages before its first assistant turn."""
    prompts, seen = [], set()
    for conv in conversations:
        first = next((i for i, m in enumerate(conv.messages) if m.role == "assistant"), None)
        if not first or not any(m.role == "user" for m in conv.messages[:first]):
            continue
        key = tuple((m.role, m.content) for m in conv.messages[:first])
        if key not in seen:
            seen.add(key)
            prompts.append(conv.messages[:first])
        if len(prompts) == n:
            break
    return prompts


def base_of(name: str) -> str | None:
    """A run's base model as recorded in its labtune.json; None for a plain model."""
    run = RunDir.find(name)
    return run.base_model if run else None


def fingerprint(name: str) -> list:
    """Identity of a model's weights on disk: file names, sizes and mtimes (cheap, no hashing)."""
    run = RunDir.find(name)
    if run is None:
        roots = [resolve_model(name)]
    else:
        roots = run.weight_files_roots()
        if run.adapter_dir is not None and run.base_model:
            roots.append(resolve_model(run.base_model))
    stats = []
    for root in roots:
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        stats += [[str(f.resolve()), f.stat().st_size, f.stat().st_mtime_ns] for f in files]
    return stats


def cache_key(name: str, questions: list[Question], general: list[Conversation], settings: Settings,
              books: dict[str, list[list[Message]]] | None = None) -> str:
    payload = {
        "version": CACHE_VERSION,
        "model": fingerprint(name),
        "prompts": [[m.to_dict() for m in q.prompt] for q in questions],  # references do not change answers
        "general": [c.to_dict() for c in general],
        "settings": asdict(settings),
    }
    if books:  # only then, so closed-book evaluations cached before open book existed stay valid
        payload["books"] = {mode: [[m.to_dict() for m in p] for p in prompts] for mode, prompts in books.items()}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:24]


def cache_dir() -> Path:
    return labtune_home() / "eval-cache"


def _device() -> str | None:
    import torch

    return "cuda" if torch.cuda.is_available() else None


def evaluate_model(name: str, questions: list[Question], general: list[Conversation], settings: Settings,
                   use_cache: bool = True, log=print, books: dict[str, list[list[Message]]] | None = None
                   ) -> ModelEval:
    """Answers, general perplexity and general answers for one model or run (from cache when unchanged).

    `books`: more prompt sets for the same questions (open-book, right note), answered by mode.
    """
    from labtune.model.load import load

    key = cache_key(name, questions, general, settings, books)
    cached = cache_dir() / f"{key}.json"
    if use_cache and cached.is_file():
        result = ModelEval(**json.loads(cached.read_text(encoding="utf-8")))
        result.name, result.cached = name, True
        log(f"{name}: cached evaluation ({cached.name})")
        return result
    started = time.perf_counter()
    log(f"{name}: loading")
    loaded = load(name, device=_device())
    log(f"{name}: answering {len(questions)} questions")
    timed = time.perf_counter()
    answers = generate_answers(loaded, [q.prompt for q in questions], settings.max_new_tokens, settings.batch_size)
    result = ModelEval(name, answers, base_model=loaded.base_model,
                       train_seconds=loaded.run.train_seconds if loaded.run else None)
    result.answer_seconds[CLOSED] = time.perf_counter() - timed
    for mode, prompts in (books or {}).items():
        log(f"{name}: answering {len(prompts)} questions, {mode}")
        timed = time.perf_counter()
        result.book_answers[mode] = generate_answers(loaded, prompts, settings.max_new_tokens, settings.batch_size)
        result.answer_seconds[mode] = time.perf_counter() - timed
    if general:
        log(f"{name}: general perplexity on {len(general)} conversations")
        result.general_perplexity = perplexity(loaded, general, settings.max_length,
                                               max(1, min(4, settings.batch_size // 2))).to_dict()
        prompts = general_prompts(general, settings.general_questions)
        result.general_answers = generate_answers(loaded, prompts, settings.max_new_tokens, settings.batch_size)
    result.eval_seconds = time.perf_counter() - started
    if use_cache:
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_name(f"{cached.name}.tmp{os.getpid()}")
        tmp.write_text(json.dumps(asdict(result), indent=1), encoding="utf-8")
        os.replace(tmp, cached)
    return result
