"""The open-book prompt: notes given to the model inside the user's turn, before the question.

One format for training (the recipe's share of Q&A that carries notes) and for answering (chat, serve
and eval with a retrieval index), so a run sees at inference the same layout it was trained on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from labtune.data.conversation import Message
from labtune.data.notes.prose import split_sentences
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
# A line this long that ends mid-sentence was wrapped by its editor (mail at ~72 characters, Markdown at
# 80): the line after it goes on with the same sentence. Jotted lines ("grasses came up first") are shorter.
WRAPPED_LINE = 50
# A line that starts a list item, quote, table row, heading or labelled field ("date: 2024-01-30") is its own.
_OWN_LINE = re.compile(r"^\s*(?:[-*+•◦▪>|#]|\d{1,3}[.)]\s|\[[ xX]\]|[^\W\d_][\w'’\-]*(?: [\w'’\-]+){0,2}:\s)")
_ENDS_SENTENCE = re.compile(r"[.!?:;][\"')\]]*$")


@dataclass(frozen=True)
class Passage:
    source: str  # what the reader sees as its name: the note's file name (and meeting, for multi-meeting files)
    text: str


def reading_lines(body: str) -> list[str]:
    """The lines of `body` a reader takes one at a time: each line as written, but a paragraph wrapped
    over several lines (`WRAPPED_LINE`) is joined and split into its sentences, so that a line chosen by
    its words never stops mid-sentence ("Mass loss is" / "41 % in the warmed plots")."""
    blocks: list[list[str]] = []
    previous = ""
    for line in body.split("\n"):
        text = line.strip()
        wraps = (len(previous) >= WRAPPED_LINE and not _ENDS_SENTENCE.search(previous)
                 and not previous.startswith(("|", "#")) and not _OWN_LINE.match(line))
        if text and wraps:
            blocks[-1].append(text)
        elif text:
            blocks.append([text])
        previous = text
    return [line for block in blocks
            for line in (split_sentences(" ".join(block)) if len(block) > 1 else block)]


def best_lines(text: str, question: str, stemmer: str | None = STEMMER) -> str:
    """`text`'s lead (what comes before its first blank line: a note's card) and its `BEST_LINES` lines
    (`reading_lines`) sharing the most words with `question` (`labtune.data.words`), in their order. Text
    with no lead, or with no line sharing a word, stays whole."""
    lead, gap, body = text.partition("\n\n")
    lines = reading_lines(body)
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
