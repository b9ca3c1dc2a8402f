"""The people a folder of notes names, so "Kenji", "kenji" or "@kenji" in one note is the "Kenji
Marchetti" another note wrote in full. Only names the folder itself writes are known; a short name is
expanded only when exactly one known person has it as a first or last name.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict

from labtune.data.notes.labels import looks_like_name

_SEPARATORS = re.compile(r"(\s*(?:,|;|&|/|\band\b)\s*|\s+(?=@\w))")  # "@Ana Lima @Bo Tran": mentions
# Capitalised words that start sentences or name groups, never one person.
NOT_PEOPLE = {
    "the", "a", "an", "we", "i", "he", "she", "they", "it", "this", "that", "these", "those", "our", "their", "his",
    "her", "everyone", "everybody", "someone", "somebody", "anyone", "nobody", "all", "team", "group", "lab", "then",
    "and", "but", "also", "so", "next", "first", "finally", "today", "tomorrow", "afterwards", "later", "after",
    "before", "during", "when", "while", "if", "as", "for", "in", "on", "at", "to", "of", "by", "with", "from",
    "action", "actions", "todo", "decision", "note", "notes", "minutes", "questions", "question", "discussion",
    "agenda", "summary", "update", "updates", "plan", "plans", "result", "results", "dr", "prof", "mr", "ms", "mrs",
    "yes", "no", "maybe", "thanks", "thank", "best", "cheers", "regards", "hi", "hello", "dear", "please", "ok",
    "okay", "re", "fw", "fwd", "presenter", "recorder", "speaker", "chair", "topic", "subject", "attendees",
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november",
    "december", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "who", "what", "why",
    "how", "where", "which", "can", "could", "should", "would", "will", "is", "was", "are", "were", "do", "does",
    "did", "one", "two", "three", "some", "most", "many", "each", "every", "both", "none", "other", "another",
}


def fold(text: str) -> str:
    """Casefolded, accents stripped: "Lucía" and "lucia" are the same person."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold().strip(" .")


def split_people(value: str) -> list[str]:
    return [p.strip() for p in _SEPARATORS.split(value) if p.strip() and not _SEPARATORS.fullmatch(p)]


class People:
    """Full names seen in a folder, and the first and last names that point to exactly one of them."""

    def __init__(self, names: list[str] | None = None):
        self.full: dict[str, str] = {}
        self._parts: dict[str, set[str]] = defaultdict(set)
        self._shouted: set[str] = set()
        for name in names or []:
            self.add(name)

    def add(self, value: str) -> None:
        value = re.sub(r"\([^)]*\)|<[^>]*>", " ", value)
        for person in split_people(value):
            tokens = [t for t in person.split() if fold(t) not in ("dr", "prof", "mr", "ms", "mrs")]
            if len(tokens) < 2 or not looks_like_name(person) or any(t[:1].islower() for t in tokens[:1]):
                continue
            full = " ".join(tokens)
            key, shouted = fold(full), full.isupper()
            # "HYE-JIN PARK" in a note written in capitals: the folder's own spelling where another note has one.
            if key not in self.full or (key in self._shouted and not shouted):
                self.full[key] = full.title() if shouted else full
                (self._shouted.add if shouted else self._shouted.discard)(key)
            self._parts[fold(tokens[0])].add(key)
            self._parts[fold(tokens[-1])].add(key)

    def __bool__(self) -> bool:
        return bool(self.full)

    def lookup(self, name: str) -> str | None:
        """The one full name `name` stands for ("kenji", "Marchetti", "Farid E.", "@siobhan"), else None."""
        name = re.sub(r"^(?:dr|prof|mr|ms|mrs)\.?\s+", "", name.strip().lstrip("@").strip(" .,:;"), flags=re.I)
        key = fold(name)
        if key in self.full:
            return self.full[key]
        tokens = key.split()
        if len(tokens) == 1:
            matches = self._parts.get(tokens[0], set())
            return self.full[next(iter(matches))] if len(matches) == 1 else None
        if len(tokens) == 2 and len(tokens[1].strip(".")) == 1:  # "Farid E."
            matches = {f for f in self._parts.get(tokens[0], set()) if f.split()[-1].startswith(tokens[1][0])}
            return self.full[next(iter(matches))] if len(matches) == 1 else None
        return None

    def is_person(self, word: str) -> bool:
        return self.lookup(word) is not None

    def expand(self, value: str) -> str:
        """Each name in `value` written as the folder writes it in full; unknown lowercase names capitalised."""
        if value.lstrip().startswith("@") and value.count("@") > 1:  # "@Helen Park @Aisha Bello" (Notion, Slack)
            value = ", ".join(person.lstrip("@") for person in split_people(value))
        if not looks_like_name(value):
            return value
        parts = _SEPARATORS.split(value)
        out = []
        for part in parts:
            if not part.strip() or _SEPARATORS.fullmatch(part):
                out.append(part)
                continue
            found = self.lookup(part)
            if found:
                out.append(found)
            elif part.islower():
                out.append(" ".join(w[:1].upper() + w[1:] for w in part.split()))
            else:
                out.append(part)
        return "".join(out)

    def find(self, text: str, lowercase_names: bool = False) -> list[str]:
        """The known people `text` names, in order, as full names. Capitalised words only, unless the note
        writes names in lowercase (terse notes)."""
        found: list[str] = []
        for match in re.finditer(r"@?[^\W\d_][\w'’-]*(?:\s+[^\W\d_][\w'’-]*)?", text):
            words = match[0].split()
            candidates = [match[0]] + ([words[0], words[1]] if len(words) == 2 else [])
            for candidate in candidates:
                bare = candidate.lstrip("@")
                if fold(bare) in NOT_PEOPLE or not (bare[:1].isupper() or candidate.startswith("@") or lowercase_names):
                    continue
                person = self.lookup(candidate)
                if person:
                    if person not in found:
                        found.append(person)
                    break
        return found
