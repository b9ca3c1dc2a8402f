"""What a folder of notes teaches: one `Lesson` per fact, each keyed by its meeting's date and topic.

A lesson is a fact with the one sentence that states it: "The lab meeting on April 14, 2023 was about
nitrogen fixation by lake cyanobacteria, and the presenter was Hana Kowalczyk." Its questions, in
whatever wording, are all answered with that sentence (synthesize.py), so the value is recalled after
the key that picks it out: the date, then the topic, then the role.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from labtune.data.notes.note import Fact, Note
from labtune.data.notes.phrasings import (CONTENT_LABELS, TRAIN_REFS, Cues, blanked, capitalized, end_sentence,
                                          sentence_value, spell_date, words)
from labtune.data.notes.tasks import task_phrase

ROLES = {"Presenter": "presenter", "Recorder": "recorder"}
ROLE_VERBS = {"presenter": "presented at", "recorder": "recorded the notes at"}
LEAD_TOPIC_MAX_WORDS = 16  # a longer topic would make every answer about the meeting a paragraph


@dataclass
class Meeting:
    note: Note
    index: int = 0  # position in the folder (dated first, by date); 0 for a meeting taken on its own

    @property
    def topic(self) -> str | None:
        """The topic answers lead with, when the note has one short enough."""
        topic = self.note.topic
        return topic if topic and len(topic.split()) <= LEAD_TOPIC_MAX_WORDS else None

    @property
    def source(self) -> str:
        return str(self.note.path) + (f"#{self.note.date}" if self.note.date else "")

    def ref(self, spelling: str = "long", form: str = TRAIN_REFS[1]) -> str:
        """How a sentence names the meeting: "the lab meeting on April 14, 2023"."""
        if self.note.date is None:
            return f'the meeting "{self.note.title}"'
        return form.format(d=spell_date(self.note.date, spelling))

    @property
    def named(self) -> str:
        """The meeting as every answer names it."""
        return self.ref("long", TRAIN_REFS[1])

    @property
    def clause(self) -> str:
        """The key every answer opens with: "The lab meeting on April 14, 2023 was about nitrogen fixation"."""
        about = f" was about {sentence_value(self.topic)}" if self.topic else ""
        return capitalized(self.named) + about

    @property
    def summary(self) -> str:
        """The meeting in one sentence, as its summaries answer and its card in a prompt says it: "The lab
        meeting on April 14, 2023 was about nitrogen fixation; the presenter was Hana and the recorder was Ravi."
        """
        roles = " and ".join(self.roles)
        if not roles:
            return f"{self.clause}."
        return f"{self.clause}; {roles}." if self.topic else f"At {self.named}, {roles}."

    @property
    def roles(self) -> list[str]:
        """The roles the note names, as the summary says them: ["the presenter was Hana", ...]."""
        return [f"the {role.lower()} was {self.note.fields[role]}" for role in ROLES if self.note.fields.get(role)]

    def passage_name(self, shared_file: bool) -> str:
        """The note's name in an open-book prompt, as retrieval names it: the file name, and the meeting's
        date (or title) where one file holds several meetings."""
        if not shared_file:
            return self.note.name
        return f"{self.note.name} ({self.note.date.isoformat() if self.note.date else self.note.title})"


@dataclass
class Lesson:
    """One fact to teach, with the one sentence every question about it is answered with."""

    kind: str  # presenter | recorder | topic | field | content
    meeting: Meeting
    value: str  # the name, the topic, the field's value or the fact's text
    answer: str
    key: str = ""  # kind "field": the field's name
    cue: str | None = None  # words a question names the fact by (topic and content)
    blank: str | None = None  # content: its text with one span blanked out
    blank_span: str | None = None  # what the blank hides
    question: str | None = None  # content: a question the notes themselves record ("Why is ...?")
    task: str | None = None  # content, an action item: its task as "Who will ...?" asks it ("book the GC")
    fact: Fact | None = None


@dataclass
class PersonLesson:
    """The reverse of the role lessons: every meeting where one person held one role."""

    role: str  # presenter | recorder
    name: str
    meetings: list[Meeting] = field(default_factory=list)

    @property
    def answer(self) -> str:
        visits = [m.named + (f", about {sentence_value(m.topic)}" if m.topic else "") for m in self.meetings]
        return f"{self.name} {ROLE_VERBS[self.role]} " + ", and at ".join(visits) + "."


def note_facts(note: Note) -> list[Fact]:
    """The reader's facts, or the note's list items when the reader found none; field lines left out."""
    facts = note.facts or [Fact(text, text, kind) for kind, items in
                           (("item", note.items), ("question", note.questions), ("action", note.actions))
                           for text in items]
    values = {v.strip().lower() for v in note.fields.values()}
    return [f for f in facts if f.text.strip() and f.text.strip().lower() not in values
            and not any(f.text.lower().startswith(k.lower() + ":") for k in note.fields)]


def role_answer(meeting: Meeting, role: str, value: str) -> str:
    if meeting.topic:
        return f"{meeting.clause}, and the {role} was {value}."
    return f"The {role} of {meeting.named} was {value}."


def content_answer(meeting: Meeting, fact: Fact) -> str:
    text = end_sentence(fact.text)
    extra = [x for x in (fact.owner, fact.deadline and f"by {fact.deadline}") if x and x.lower() not in text.lower()]
    if extra:
        text = text[:-1] + f" ({', '.join(extra)})."
    label = CONTENT_LABELS.get(fact.kind, "the notes say")
    if meeting.topic:
        return f"{meeting.clause}; {label}: {text}"
    return f"At {meeting.named}, {label}: {text}"


def recorded_question(fact: Fact) -> str | None:
    """The question a "Questions:" item asks ("Why is the deep site so low?"), when it has one."""
    head = fact.text.split("?", 1)[0]
    return head.strip() + "?" if "?" in fact.text and len(words(head)) >= 3 else None


def meetings_of(notes: list[Note]) -> list[Meeting]:
    return [Meeting(note, i) for i, note in enumerate(notes)]


def lessons_of(meetings: list[Meeting], content: bool = True) -> list[Lesson]:
    """Every fact of every meeting: its fields, then (with `content`) the facts of its text."""
    people = [v for m in meetings for k, v in m.note.fields.items() if k in ROLES]
    topics = Cues([m.note.topic or "" for m in meetings], people)
    facts = {m.index: note_facts(m.note) if content else [] for m in meetings}
    texts = Cues([f.text for fs in facts.values() for f in fs], people)
    out: list[Lesson] = []
    for meeting in meetings:
        for key, value in meeting.note.fields.items():
            kind = ROLES.get(key, "topic" if key == "Topic" else "field")
            if kind in ("presenter", "recorder"):
                out.append(Lesson(kind, meeting, value, role_answer(meeting, kind, value)))
            elif kind == "topic":
                answer = (f"{meeting.clause}." if meeting.topic else
                          f"The topic of {meeting.named} was {sentence_value(value)}.")
                out.append(Lesson(kind, meeting, value, answer, cue=topics.cue(value)))
            else:
                out.append(Lesson(kind, meeting, value, role_answer(meeting, key.lower(), value), key=key))
        for fact in facts[meeting.index]:
            asked = recorded_question(fact)
            cue = texts.cue(asked or fact.text)
            span = texts.cue(fact.text, avoid=cue or "") or cue
            hidden = blanked(fact.text, span) if span else None
            out.append(Lesson("content", meeting, fact.text, content_answer(meeting, fact), cue=cue,
                              blank=hidden, blank_span=span if hidden else None, question=asked,
                              task=task_phrase(fact), fact=fact))
    return out


def people_of(meetings: list[Meeting]) -> list[PersonLesson]:
    """One reverse lesson per (role, person), with their meetings in date order."""
    found: dict[tuple[str, str], PersonLesson] = {}
    for meeting in meetings:
        for key, role in ROLES.items():
            name = meeting.note.fields.get(key)
            if name:
                found.setdefault((role, name), PersonLesson(role, name)).meetings.append(meeting)
    return list(found.values())


def lessons_per_meeting(lessons: list[Lesson]) -> dict[int, dict[str, int]]:
    """Meeting index -> lessons per kind (what the report shows as facts found per note)."""
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for lesson in lessons:
        counts[lesson.meeting.index][lesson.kind] += 1
    return {k: dict(v) for k, v in counts.items()}
