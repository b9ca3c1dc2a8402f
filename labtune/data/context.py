"""The open-book prompt: notes given to the model inside the user's turn, before the question.

One format for training (the recipe's share of Q&A that carries notes) and for answering (chat, serve
and eval with a retrieval index), so a run sees at inference the same layout it was trained on.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from labtune.data.conversation import Message

NOTES_HEADER = "Notes that may help:"
QUESTION_HEADER = "Question:"


@dataclass(frozen=True)
class Passage:
    source: str  # what the reader sees as its name: the note's file name (and meeting, for multi-meeting files)
    text: str


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
