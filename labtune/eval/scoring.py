"""Is a generated answer right? Exact, contains or token-F1, all insensitive to case, accents and
punctuation, so "Dr. José Pérez." matches "jose perez" and "4/14/2023" matches "4-14-2023".
"""

from __future__ import annotations

import unicodedata
from collections import Counter

from labtune.errors import LabtuneError

MATCHES = ("exact", "contains", "f1")
# Token-F1 counts an answer right from this score on: "Smith" for "Alice Smith" (F1 0.67) passes,
# one right word in a long ramble does not.
F1_THRESHOLD = 0.5


def normalize(text: str) -> str:
    """Casefolded, accents stripped, punctuation and symbols turned into spaces, spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", text)
    chars = []
    for ch in decomposed:
        category = unicodedata.category(ch)
        if category == "Mn":  # combining accent left over from NFKD
            continue
        chars.append(" " if category[0] in "PSZC" else ch)
    return " ".join("".join(chars).casefold().split())


def token_f1(answer: str, reference: str) -> float:
    """SQuAD-style token F1 between normalized texts."""
    predicted, gold = normalize(answer).split(), normalize(reference).split()
    common = sum((Counter(predicted) & Counter(gold)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(predicted), common / len(gold)
    return 2 * precision * recall / (precision + recall)


def matches(answer: str, reference: str, match: str = "contains") -> bool:
    """One reference: whole-word containment (so "Ali" never matches "Alice"), equality, or F1."""
    if match == "contains":
        ref = normalize(reference)
        return bool(ref) and f" {ref} " in f" {normalize(answer)} "
    if match == "exact":
        return normalize(answer) == normalize(reference)
    if match == "f1":
        return token_f1(answer, reference) >= F1_THRESHOLD
    raise LabtuneError(f"unknown --match {match!r}: use one of {', '.join(MATCHES)}")


def score(answer: str, acceptable: list[str] | str, match: str = "contains") -> bool:
    """True when the answer matches any acceptable reference."""
    references = [acceptable] if isinstance(acceptable, str) else acceptable
    return any(matches(answer, ref, match) for ref in references)
