"""An action item's task in the words a question names it by, with no meeting date.

"Farid will order a second batch of optode foils before the next meeting" -> "order a second batch of
optode foils"; "Kenji books the gas chromatograph for the week of 6 May, by April 30" -> "book the gas
chromatograph for the week of 6 May". A lab asks about its action items that way ("Who will order the
foils?", "By when must the GC be booked?"), naming the task, not the meeting it was set at.
"""

from __future__ import annotations

import re

from labtune.data.notes.facts import MODAL, TASK_VERBS, deadline_match
from labtune.data.notes.note import Fact

_LEADING_MODAL = re.compile(rf"^{MODAL}\s+", re.I)  # "will order", "to draft", "has to ask"
_RESPONSIBLE = re.compile(r"^(?:.*?\s)?is\s+responsible\s+for\s+(?P<rest>\S.*)$", re.I)
_PARENTHESES = re.compile(r"\s*[(\[][^()\[\]]*[)\]]")
_IRREGULAR = {"be": "is", "have": "has", "do": "does", "go": "goes"}


def base_form(verb: str) -> str | None:
    """The verb as "will ..." takes it ("book" for "books", "book" and "Book"), or None when it is no
    task verb labtune knows: a question built on a word that is not a verb would teach nonsense."""
    word = verb.lower()
    for candidate in (word, word[:-3] + "y" if word.endswith("ies") else "",
                      word[:-2] if word.endswith("es") else "", word[:-1] if word.endswith("s") else ""):
        if candidate in TASK_VERBS and candidate not in ("will", "to", "should", "must", "can"):
            return candidate
    return None


def third_person(phrase: str) -> str:
    """ "book the GC" -> "books the GC": the task as "Who ...?" asks it."""
    verb, _, rest = phrase.partition(" ")
    if verb in _IRREGULAR:
        verb = _IRREGULAR[verb]
    elif re.search(r"(?:s|sh|ch|x|z|o)$", verb):
        verb += "es"
    elif re.search(r"[^aeiou]y$", verb):
        verb = verb[:-1] + "ies"
    else:
        verb += "s"
    return f"{verb} {rest}".strip()


def task_phrase(fact: Fact) -> str | None:
    """The task of an action item as "Who will ...?" completes it, or None when it cannot be said so."""
    if not fact.owner or not fact.task or fact.owner == "everyone":
        return None
    text = fact.task
    responsible = _RESPONSIBLE.match(text)
    if responsible:
        text = "be responsible for " + responsible["rest"]
    names = {part.lower() for part in re.split(r"\W+", fact.owner) if len(part) > 1}
    text = _PARENTHESES.sub(lambda m: "" if names & set(re.split(r"\W+", m[0].lower())) or
                            re.search(r"\b(?:due|owner|by)\b", m[0], re.I) else m[0], text)
    deadline = deadline_match(text)
    if deadline:
        text = text[:deadline.start()] + text[deadline.end():]
    text = _LEADING_MODAL.sub("", text.strip(" ,;:-.")).strip(" ,;:-.")
    verb, _, rest = text.partition(" ")
    base = "be" if responsible else base_form(verb)
    if not base or not rest:
        return None
    return f"{base} {rest.rstrip(' ,')}"
