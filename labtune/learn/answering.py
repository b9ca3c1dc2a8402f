"""How a run answers in chat and serve: with its notes in the prompt (open-book) or from its weights.

The recipe's own way is the default: a recipe that trains with notes in its prompts (RAFT rows, the base
model's readings) answers open-book, one that does not answers from its weights. The held-out check
overrules the recipe only when the other way got more of the same questions right beyond chance
(McNemar's exact test on the paired answers, with scipy): a check of 25-48 questions is noisy, and a
run of `notes` on a six-meeting folder whose check read one question more with its notes (60% against
56%) read its questions at 38% open-book against 75% from its weights (docs/benchmarks.md).
"""

from __future__ import annotations

SIGNIFICANCE = 0.05  # the check overrules the recipe's way below this p-value


def trained_open_book(synthesis) -> bool:
    """Whether a recipe's data puts notes in prompts, so that the run learns to read them."""
    return bool(synthesis.open_book_share or synthesis.read_by_base or synthesis.open_book_content)


def paired_p_value(closed: list, opened: list) -> float:
    """McNemar's exact test: the chance of a split of the questions only one way got right at least this
    uneven, were both ways equally good."""
    from scipy.stats import binomtest

    only_closed = sum(c.correct and not o.correct for c, o in zip(closed, opened))
    only_open = sum(o.correct and not c.correct for c, o in zip(closed, opened))
    if only_closed + only_open == 0:
        return 1.0
    return float(binomtest(min(only_closed, only_open), only_closed + only_open, 0.5).pvalue)


def choose_answering(loaded, self_check: list, index, count: int, max_new_tokens: int, open_by_recipe: bool) -> dict:
    """The first `count` self-check questions (every kind in turn) asked again with the run's notes: the
    run answers the recipe's way (`open_by_recipe`) unless the other way read these significantly better."""
    from labtune.eval import evaluate_questions

    if index is None or count == 0 or not self_check:
        return {}
    closed = self_check[:count]
    opened = evaluate_questions(loaded, [{"question": r.question, "answers": r.answers, "kind": r.kind}
                                         for r in closed], max_new_tokens=max_new_tokens, batch_size=32, notes=index)
    return answering_mode(closed, opened, open_by_recipe)


def answering_mode(closed: list, opened: list, open_by_recipe: bool) -> dict:
    """The way to answer, given the same questions' results from the weights (`closed`) and with the notes."""
    from labtune.eval import accuracy

    closed_share, open_share = accuracy(closed)["overall"], accuracy(opened)["overall"]
    p_value = paired_p_value(closed, opened)
    opens = open_share > closed_share if p_value < SIGNIFICANCE else open_by_recipe
    return {"mode": "open-book" if opens else "closed-book", "questions": len(closed),
            "closed_book": round(closed_share, 4), "open_book": round(open_share, 4),
            "recipe_mode": "open-book" if open_by_recipe else "closed-book", "p_value": round(p_value, 4),
            "open_book_by_kind": {k: round(v, 4) for k, v in accuracy(opened).items()}}
