"""The words of synthesized Q&A: how a meeting is named, how each kind of fact is asked and answered.

Every pool is split in two: `TRAIN` phrasings and date spellings make the training data, `CHECK`
ones are never trained on and make the held-out self-check, so the check measures what a user's own
wording gets. Answers have one form per fact whatever the question's wording: the full key (date and
topic) first, the value last, so a value is always recalled after the key that picks it out.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from datetime import date

from labtune.data.notes.dates import MONTHS

# How a question writes a meeting's date. The answer always writes it "long".
DATE_SPELLINGS = {
    "slash": lambda d: f"{d.month}/{d.day}/{d.year}",
    "slash_dmy": lambda d: f"{d.day:02d}/{d.month:02d}/{d.year}",
    "long": lambda d: f"{_month(d)} {d.day}, {d.year}",
    "iso": lambda d: d.isoformat(),
    "day": lambda d: f"{_month(d)} {d.day}",  # only where no other year has that day
    "day_month": lambda d: f"{d.day} {_month(d)} {d.year}",
    "abbrev": lambda d: f"{_month(d)[:3]} {d.day}, {d.year}",
    "short_year": lambda d: f"{d.month}/{d.day}/{d.year % 100:02d}",
    "short_year_dmy": lambda d: f"{d.day}/{d.month}/{d.year % 100:02d}",
    "ordinal": lambda d: f"the {_ordinal(d.day)} of {_month(d)} {d.year}",
}
# Questions are trained in the spellings a folder's own people write: where the notes put the day first
# (02/04/2024 is 2 April), numeric dates day first and the written form "2 April 2024". The other
# spellings are held out for the self-check, so that it measures dates written in ways training never showed.
TRAIN_SPELLINGS = ("slash", "long", "iso", "day")
CHECK_SPELLINGS = ("day_month", "abbrev", "short_year")
TRAIN_SPELLINGS_DAY_FIRST = ("slash_dmy", "day_month", "long", "iso", "day")
CHECK_SPELLINGS_DAY_FIRST = ("ordinal", "abbrev", "short_year_dmy")


def date_spellings(day_first: bool | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(trained, held-out) date spellings for a folder whose numeric dates put the day first or not."""
    return (TRAIN_SPELLINGS_DAY_FIRST, CHECK_SPELLINGS_DAY_FIRST) if day_first else (TRAIN_SPELLINGS, CHECK_SPELLINGS)


# {d}: the date as spelled.
TRAIN_REFS = ("the {d} lab meeting", "the lab meeting on {d}", "the {d} meeting", "the meeting on {d}")
CHECK_REFS = ("the lab meeting held on {d}",)

# Forward questions: {ref} names the meeting; {key} a field's name; {cue} words from a fact.
# A role is asked with the words people use for it (talk, speaker, minutes, scribe, theme), and in the
# possessive and the passive too: a run trained only on "Who ..." forms answered "Whose presentation was
# it on DATE?" with the meeting's topic (docs/benchmarks.md, notes recipe).
TRAIN_QUESTIONS = {
    "presenter": ["Who presented at {ref}?", "Who was the presenter at {ref}?", "Who gave the presentation at {ref}?",
                  "Which lab member presented at {ref}?", "Who was presenting at {ref}?",
                  "Tell me who presented at {ref}.", "Who was the speaker at {ref}?", "Name the presenter of {ref}.",
                  "Whose talk was it at {ref}?", "Who spoke at {ref}?", "Who gave the talk at {ref}?",
                  "By whom was the talk at {ref} given?"],
    "recorder": ["Who recorded {ref}?", "Who was the recorder at {ref}?", "Who wrote the notes for {ref}?",
                 "Which lab member recorded {ref}?", "Who took minutes at {ref}?", "Tell me who recorded {ref}.",
                 "Who was the note taker at {ref}?", "Name the recorder of {ref}.", "Who kept the minutes at {ref}?",
                 "Who was the scribe at {ref}?", "Who wrote up {ref}?", "By whom were the notes of {ref} taken?"],
    "topic": ["What was the topic of {ref}?", "What was {ref} about?", "What topic was covered at {ref}?",
              "What did {ref} focus on?", "Tell me the topic of {ref}.", "What did the lab discuss at {ref}?",
              "What was the subject of {ref}?", "Which topic did {ref} cover?", "What was discussed at {ref}?",
              "What was the theme of {ref}?", "What was presented at {ref}?", "What was the talk at {ref} about?"],
    "field": ["What was the {key} of {ref}?", "What {key} is noted for {ref}?", "Tell me the {key} of {ref}.",
              "What do the notes give as the {key} of {ref}?"],
    "content": ["What did {ref} note about {cue}?", "What do the notes of {ref} say about {cue}?",
                "What was said about {cue} at {ref}?", "Tell me what {ref} recorded about {cue}.",
                "What came up about {cue} at {ref}?", "At {ref}, what was noted about {cue}?",
                "Fill in the blank from the notes of {ref}: \"{blank}\"", "About {ref}: {asked}"],
}
CHECK_QUESTIONS = {
    "presenter": ["Who did the presentation at {ref}?", "Can you tell me the presenter of {ref}?",
                  "Whose presentation was {ref}?"],
    "recorder": ["Who was in charge of the notes at {ref}?", "Can you tell me the recorder of {ref}?",
                 "Who minuted {ref}?"],
    "topic": ["What was on the agenda at {ref}?", "Can you tell me the topic of {ref}?", "What was covered at {ref}?"],
    "field": ["Can you tell me the {key} of {ref}?"],
    "content": ["Complete this line from the notes of {ref}: \"{blank}\""],
}
# A month's meetings side by side, each date with its topic: the meetings most easily confused, told apart.
TRAIN_CALENDAR = ["Which lab meetings were held in {month}?", "What did the lab meet about in {month}?",
                  "List the lab meetings of {month}.", "When did the lab meet in {month}, and on what topics?"]
# What the notes of a meeting held, all in one answer.
TRAIN_SUMMARIES = ["What happened at {ref}?", "Summarize {ref}.", "Give me an overview of {ref}.",
                   "What do the notes say about {ref}?"]
# The other direction: from a person or words of a fact to the meeting.
TRAIN_REVERSE = {
    "presenter": ["When did {name} present?", "Which lab meetings did {name} present at?",
                  "At which meeting did {name} give the presentation?"],
    "recorder": ["When did {name} record the notes?", "Which lab meetings did {name} take notes for?",
                 "When was {name} the recorder?"],
    "topic": ["Which meeting was about {cue}?", "When did the lab discuss {cue}?", "Which lab meeting covered {cue}?"],
    "content": ["Which meeting discussed {cue}?", "What do the lab notes say about {cue}?",
                "When did {cue} come up at a lab meeting?"],
}
# An action item by its task, which names no meeting: {task} "book the GC", {tasks} "books the GC".
TRAIN_TASK_QUESTIONS = {
    "owner": ["Who will {task}?", "Who {tasks}?", "Who has to {task}?", "Who is going to {task}?",
              "Which lab member will {task}?"],
    "deadline": ["By when will {owner} {task}?", "When is {owner} supposed to {task} by?",
                 "What is the deadline for {owner} to {task}?"],
}
CHECK_REVERSE = {
    "presenter": ["When was {name} the presenter?"],
    "recorder": ["At which meetings was {name} the note taker?"],
    "topic": ["On what date did the lab talk about {cue}?"],
    "content": ["At which lab meeting was {cue} mentioned?"],
}
# Questions the base model is asked with its notes before tuning (`SynthesisPlan.read_by_base`): a
# content fact by its words, with no meeting named, and the meeting it came up at.
TRAIN_READING = {
    "content": ["What do the lab notes say about {cue}?", "What was noted about {cue}?",
                "What did the lab note about {cue}?"],
    "meeting": ["Which meeting discussed {cue}?", "When did {cue} come up at a lab meeting?"],
}
CHECK_TASK_QUESTIONS = {"owner": ["Who was asked to {task}?"], "deadline": ["By what date should {owner} {task}?"]}
# Prompts that name no meeting: the answer's own words must carry the key.
TRAIN_STATEMENTS = ["Tell me one fact from the lab meeting notes.", "Recall something from the lab notes.",
                    "Share a detail from the meeting notes.", "What is one thing the lab notes record?"]
NO_NOTES_ANSWER = "I have no notes for a lab meeting on {d}."
CONTENT_LABELS = {"action": "an action item", "question": "a question raised", "decision": "a decision"}
BLANK = "____"

STOPWORDS = frozenset("""a an the of for to in on at by with from and or but nor is are was were be been being it its
this that these those we our us they their them he she his her i you your will would should shall can could may might
must do does did done not no yes as if than then so about into over under more most less each every all any some
what who whom whose why how when where which whether same other per up down out off also just only very too there
here has have had having one two""".split())
_LABEL_RE = re.compile(r"^\s*[A-Za-z][\w'’\-]*(?:\s+[\w'’\-]+)?\s*:\s+")  # "Budget: ", "Mateo: "
_WORD_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’\-.]*[A-Za-z0-9]|[A-Za-z0-9]")


def _month(day: date) -> str:
    return MONTHS[day.month - 1].capitalize()


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def spell_date(day: date, spelling: str) -> str:
    return DATE_SPELLINGS[spelling](day)


def long_date(day: date) -> str:
    return spell_date(day, "long")


def sentence_value(value: str) -> str:
    """Lower-case a leading capital for use mid-sentence, unless the word is a name or an acronym."""
    first = value.split(" ", 1)[0]
    if len(first) > 1 and first[0].isupper() and first[1:].islower() and not first.endswith("'s"):
        return first.lower() + value[len(first):]
    return value


def capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


def end_sentence(text: str) -> str:
    text = text.strip()
    return text if text[-1:] in ".!?" else text + "."


def words(text: str) -> list[str]:
    return _WORD_RE.findall(text)


class Cues:
    """Short phrases that pick a fact out among the folder's facts: a run of content words (no
    stopwords, no people's names, no "Label:" before the text), the longer and rarer across the
    folder the better, at most three words long."""

    def __init__(self, texts: list[str], people: list[str] = ()):
        self.documents = len(texts)
        self.frequency = Counter(w.lower() for text in texts for w in set(words(text)))
        self.names = {part.lower() for name in people for part in words(name)}

    def rarity(self, word: str) -> float:
        return math.log((1 + self.documents) / (1 + self.frequency[word.lower()]))

    def runs(self, text: str) -> list[list[str]]:
        text = _LABEL_RE.sub("", text, count=1)
        out: list[list[str]] = [[]]
        for word in words(text):
            lower = word.lower()
            if lower in STOPWORDS or lower in self.names or word.isdigit() and len(word) < 3:
                out.append([])
            else:
                out[-1].append(word)
        return [run for run in out if run]

    def cue(self, text: str, avoid: str = "") -> str | None:
        """The most distinctive run of `text` (not overlapping `avoid`), or None when there is none."""
        avoided = {w.lower() for w in words(avoid)}
        runs = [r for r in self.runs(text) if not avoided & {w.lower() for w in r}]
        if not runs:
            return None
        best = max(runs, key=lambda r: (min(len(r), 3) + max(self.rarity(w) for w in r), -runs.index(r)))
        if len(best) > 3:
            peak = max(range(len(best)), key=lambda i: self.rarity(best[i]))
            start = min(max(peak - 1, 0), len(best) - 3)
            best = best[start:start + 3]
        return " ".join(w if _keeps_case(w, text) else w.lower() for w in best)


def _keeps_case(word: str, text: str) -> bool:
    """Names and acronyms keep their capitals; a capital that only starts the sentence does not."""
    if word.isupper() and len(word) > 1 or any(c.isdigit() for c in word):
        return True
    return word[:1].isupper() and not text.lstrip().startswith(word)


def blanked(text: str, span: str) -> str | None:
    """`text` with `span` replaced by a blank, or None when `span` is not in it."""
    at = text.lower().find(span.lower())
    if at < 0 or not span:
        return None
    return text[:at] + BLANK + text[at + len(span):]
