"""A meeting's card: what the notes reader found in it, put before the note's own text wherever a note
goes into a prompt, in training and in answering. The card is the meeting's summary sentence, the one its
summaries answer with ("The lab meeting on January 9, 2024 was about drought stress; the presenter was
Noor Haddad and the recorder was Felix Arroyo."), then one line per action item with its owner.

Why a sentence and not "Presenter: Noor Haddad" lines: a small model copies a sentence shaped like its
answers, and takes the wrong name from a list of labels. The base model answers 66% of the messy folder's
questions open-book with the sentence, 44% with the notes alone, 47% with labelled lines (docs/retrieval.md).
The text after the card still holds everything the reader did not turn into a field.
"""

from __future__ import annotations

from labtune.data.notes.lessons import Meeting
from labtune.data.notes.note import Note


def card(note: Note, actions: bool = True) -> str:
    """The summary sentence (none for a note without date or fields), then "Action item for OWNER: TASK"
    lines (with `actions`)."""
    lines = [Meeting(note).summary] if note.date or note.fields else []
    if actions:
        lines += [f"Action item for {fact.owner}: {fact.task}" for fact in note.facts
                  if fact.kind == "action" and fact.owner and fact.task]
    return "\n".join(lines)


def with_card(note: Note) -> str:
    """The note's text led by its card; the text alone where the reader found nothing to put on one."""
    lead = card(note)
    return f"{lead}\n\n{note.text.strip()}" if lead else note.text.strip()
