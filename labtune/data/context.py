"""The open-book prompt: notes given to the model inside the user's turn, before the question.

One format for training (the recipe's share of Q&A that carries notes) and for answering (chat, serve
and eval with a retrieval index), so a run sees at inference the same layout it was trained on.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from labtune.data.conversation import Message
from labtune.data.words import STEMMER, tokenize

NOTES_HEADER = "Notes that may help:"
QUESTION_HEADER = "Question:"
# A note that the question does not name by date goes in as its lead (the card) and at most this many
# of its lines, those sharing the most words with the question, in the note's order: a small model
# finds the sentence asked about among five far better than in a whole note. Chosen on the sample
# folder's dateless content questions (2, 3, 5 lines: a tuned run 58%, 58%, 62% against 42% whole),
# reported on the messy folder (docs/benchmarks.md, retrieval). A note the question names by date stays
# whole: the question is about that meeting, and a tuned run answered its roles from its weights when
# their lines were left out.
BEST_LINES = 5


@dataclass(frozen=True)
class Passage:
    source: str  # what the reader sees as its name: the note's file name (and meeting, for multi-meeting files)
    text: str


def best_lines(text: str, question: str, stemmer: str | None = STEMMER) -> str:
    """`text`'s lead (what comes before its first blank line: a note's card) and its `BEST_LINES` lines
    sharing the most words with `question` (`labtune.data.words`), in their order. Text with no lead, or
    with no line sharing a word, stays whole."""
    lead, gap, body = text.partition("\n\n")
    lines = [line for line in body.split("\n") if line.strip()]
    if not gap or not lines:
        return text
    asked = set(tokenize([question], stemmer)[0])
    shared = [len(asked & set(words)) for words in tokenize(lines, stemmer)]
    best = sorted(sorted((i for i, n in enumerate(shared) if n), key=lambda i: -shared[i])[:BEST_LINES])
    return lead + "\n\n" + "\n".join(lines[i] for i in best) if best else text


def render_passages(passages: list[Passage]) -> str:
    return "\n\n".join(f"[{p.source}]\n{p.text.strip()}" for p in passages)


def with_notes(messages: list[Message], passages: list[Passage]) -> list[Message]:
    """`messages` with the passages placed in the last user turn, before its question.

    No passages: the messages unchanged (closed book).
    """
    if not passages:
        return list(messages)
    last = max(i for i, m in enumerate(messages) if m.role == "user")
    question = messages[last].content
    content = f"{NOTES_HEADER}\n\n{render_passages(passages)}\n\n{QUESTION_HEADER} {question}"
    return [*messages[:last], replace(messages[last], content=content), *messages[last + 1:]]
