"""Several models -> one comparison: each run next to its base model, evaluated once."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from labtune.data.conversation import Conversation
from labtune.errors import LabtuneError
from labtune.eval.books import CLOSED, Books
from labtune.eval.evaluate import (ModelEval, QuestionResult, Settings, accuracy, base_of, evaluate_model,
                                   general_prompts, score_answers)
from labtune.eval.questions import Question
from labtune.model.resolve import resolve_model


@dataclass
class ModelRow:
    name: str
    is_base: bool  # evaluated as the base of some run
    accuracy: dict[str, float]
    results: list[QuestionResult]
    general_perplexity: float | None
    perplexity_change: float | None  # (ppl - base ppl) / base ppl
    general_answers: list[str]
    base_model: str | None
    train_seconds: float | None
    eval_seconds: float
    cached: bool
    mode: str = CLOSED  # closed-book | open-book | right note (the same model, other prompts)
    answer_seconds: float | None = None  # per question, batched, in this mode

    def to_dict(self) -> dict:
        return asdict(self)


def _same_model(a: str, b: str) -> bool:
    if a == b:
        return True
    try:
        return resolve_model(a).resolve() == resolve_model(b).resolve()
    except LabtuneError:  # a name that does not resolve is simply not the same model
        return False


def models_with_bases(names: list[str]) -> tuple[list[str], dict[str, str]]:
    """All models to evaluate, bases first and each once, and each run's base among them."""
    bases: list[str] = []
    base_for: dict[str, str] = {}
    for name in names:
        base = base_of(name)
        if base is None:
            continue
        known = next((b for b in bases + names if _same_model(b, base) and base_of(b) is None), None)
        if known is None:
            bases.append(base)
            known = base
        base_for[name] = known
    ordered = bases + [n for n in names if n not in bases]
    return ordered, base_for


def _per_question(ev: ModelEval, mode: str, n: int) -> float | None:
    seconds = ev.answer_seconds.get(mode)
    return seconds / n if seconds is not None and n else None


def _book_rows(row: ModelRow, ev: ModelEval, questions: list[Question], books: Books, match: str) -> list[ModelRow]:
    """The same model answering with retrieved notes, and with the right note (questions that have one)."""
    rows = []
    for mode, answers in ev.book_answers.items():
        results = score_answers(books.questions_for(mode, questions), answers, match)
        if not results:
            continue
        rows.append(ModelRow(row.name, row.is_base, accuracy(results), results, None, None, [], row.base_model,
                             row.train_seconds, row.eval_seconds, row.cached, mode,
                             _per_question(ev, mode, len(answers))))
    return rows


def compare(names: list[str], questions: list[Question], general: list[Conversation], match: str,
            settings: Settings, use_cache: bool = True, log=print, books: Books | None = None) -> list[ModelRow]:
    """One row per model (closed book), each followed by its open-book and right-note rows when `books`."""
    ordered, base_for = models_with_bases(names)
    prompts = books.prompts if books else None
    evals: dict[str, ModelEval] = {n: evaluate_model(n, questions, general, settings, use_cache, log, prompts)
                                   for n in ordered}
    base_names = set(base_for.values())
    rows = []
    for name in ordered:
        ev = evals[name]
        results = score_answers(questions, ev.answers, match)
        ppl = (ev.general_perplexity or {}).get("perplexity")
        change = None
        base = base_for.get(name)
        base_ppl = (evals[base].general_perplexity or {}).get("perplexity") if base else None
        if ppl is not None and base_ppl:
            change = (ppl - base_ppl) / base_ppl
        row = ModelRow(name, name in base_names, accuracy(results), results, ppl, change, ev.general_answers, base,
                       ev.train_seconds, ev.eval_seconds, ev.cached, CLOSED,
                       _per_question(ev, CLOSED, len(questions)))
        rows.append(row)
        if books is not None:
            rows += _book_rows(row, ev, questions, books, match)
    return rows


def kinds_of(questions: list[Question]) -> list[str]:
    kinds: list[str] = []
    for q in questions:
        if q.kind is not None and q.kind not in kinds:
            kinds.append(q.kind)
    return kinds


def general_questions(general: list[Conversation], settings: Settings) -> list[str]:
    return [next(m.content for m in reversed(p) if m.role == "user")
            for p in general_prompts(general, settings.general_questions)]


def short_name(name: str) -> str:
    path = Path(name)
    return path.name if path.is_dir() else name
