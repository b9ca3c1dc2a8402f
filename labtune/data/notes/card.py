"""A meeting's card: what the notes reader found in it, put before the note's own text wherever a note
goes into a prompt, in training and in answering. The card states each role in the sentence a question
about that role is answered with ("The lab meeting on January 9, 2024 was about drought stress, and the
presenter was Noor Haddad." then the same for the recorder; the summary sentence where the note names no
role), then one line per action item with its owner.

Why sentences and not "Presenter: Noor Haddad" lines: a small model copies a sentence shaped like its
answers, and takes the wrong name from a list of labels. The base model answers 66% of the messy folder's
questions open-book with one summary sentence, 44% with the notes alone, 47% with labelled lines
(docs/retrieval.md). Why one sentence per role: an answer that opens like the summary ("... was about
drought stress, and the") is continued from the summary's next words, the presenter, whatever was asked;
with each role's own sentence in the prompt the copy runs on to the right name (the base model 69% of
the messy folder against 66%; a run tuned without notes in its prompts 90% of the sample questions
against 85%, docs/retrieval.md). The text after the card still holds everything the reader did not turn
into a field.
"""

from __future__ import annotations

from labtune.data.notes.lessons import Meeting
from labtune.data.notes.note import Note


def card(note: Note, actions: bool = True) -> str:
    """One answer sentence per role, or the summary sentence where the note names no role (nothing for a
    note without date or fields), then "Action item for OWNER: TASK" lines (with `actions`)."""
    meeting = Meeting(note)
    lines = (meeting.role_sentences or [meeting.summary]) if note.date or note.fields else []
    if actions:
        lines += [f"Action item for {fact.owner}: {fact.task}" for fact in note.facts
                  if fact.kind == "action" and fact.owner and fact.task]
    return "\n".join(lines)


def with_card(note: Note) -> str:
    """The note's text led by its card; the text alone where the reader found nothing to put on one."""
    lead = card(note)
    return f"{lead}\n\n{note.text.strip()}" if lead else note.text.strip()
