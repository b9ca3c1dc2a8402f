"""Notes -> training conversations and a held-out self-check, deterministic for a given seed.

Each lesson (lessons.py: one fact, keyed by its meeting's date and topic) is taught the same number of
times, whatever its kind:
- `questions_per_fact` forward questions ("Who presented at the 4/14/2023 lab meeting?"), phrasings,
  date spellings and ways of naming the meeting handed out in turn, so that no wording belongs to one
  meeting and only the date can tell the meetings apart;
- `statements_per_fact` prompts that name no meeting, answered with the full-key sentence;
- `reverse_per_fact` questions the other way round: "When did Hana present?", "Which meeting was
  about diatoms?", "Why is the deep site so low?";
and, per meeting, questions about nearby dates with no meeting ("I have no notes for ...") and
optional one-answer summaries. Single Q&A about different meetings are chained into conversations
(one system prompt for several facts; no answer can be copied from an earlier turn), a share is asked
open-book (the right note and a distractor in the prompt, RAFT), and the self-check asks every fact
in phrasings and date spellings that training never uses.
"""

from __future__ import annotations

import random
import string
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field

from labtune.data.context import Passage, best_lines, with_notes
from labtune.data.conversation import Conversation, Message
from labtune.data.notes.card import with_card
from labtune.data.notes.lessons import (Lesson, Meeting, PersonLesson, lessons_of, meetings_of, people_of)
from labtune.data.notes.dates import MONTHS, find_dates
from labtune.data.notes.note import Note
from labtune.data.notes.phrasings import (CHECK_QUESTIONS, CHECK_REFS, CHECK_REVERSE, CHECK_TASK_QUESTIONS,
                                          NO_NOTES_ANSWER, TRAIN_QUESTIONS, TRAIN_REFS, TRAIN_REVERSE,
                                          TRAIN_TASK_QUESTIONS, TRAIN_CALENDAR, TRAIN_READING, TRAIN_STATEMENTS,
                                          TRAIN_SUMMARIES,
                                          capitalized, date_spellings, long_date, sentence_value, spell_date)
from labtune.data.notes.tasks import third_person
from labtune.data.words import tokenize

KINDS = ("forward", "statement", "reverse", "summary", "calendar", "no_notes", "open_book", "original")


class SynthesisPlan(BaseModel):
    """How much of each kind of Q&A a folder gets; sizes are per fact or per meeting, never totals."""

    model_config = ConfigDict(extra="forbid")

    seed: int = 0
    questions_per_fact: int = Field(3, ge=0, description="forward questions per fact, each in another phrasing "
                                    "and date spelling")
    statements_per_fact: int = Field(1, ge=0, description="prompts naming no meeting, answered with the fact's "
                                     "full-key sentence")
    reverse_per_fact: int = Field(1, ge=0, description="reverse questions per person and role, per topic, per "
                                  "content fact ('When did Hana present?')")
    summaries_per_meeting: int = Field(0, ge=0, description="'What happened at ...?' -> the meeting's roles in "
                                       "one answer")
    calendars_per_month: int = Field(0, ge=0, description="'Which lab meetings were held in March 2023?' -> "
                                     "every meeting of the month with its topic, side by side")
    no_notes_per_meeting: float = Field(0.5, ge=0, description="questions about a nearby date with no meeting "
                                        "('I have no notes for ...')")
    turns: int = Field(3, ge=1, description="Q&A about different meetings chained per conversation")
    open_book_share: float = Field(0.0, ge=0, le=1, description="of the forward and reverse Q&A, asked with the "
                                   "right note(s) and a distractor in the prompt (RAFT)")
    open_book_lines: bool = Field(False, description="open-book Q&A show each note as answering does: whole "
                                  "where the question names its meeting's date, else its card and the lines "
                                  "sharing most words with the question (`labtune.data.context.best_lines`)")
    close_distractors: bool = Field(False, description="an open-book Q&A's distractor is one of the other notes "
                                    "sharing most words with the question (as retrieval would find it), not any "
                                    "other note")
    open_book_content: float = Field(0.0, ge=0, le=1, description="when `content` is false, this share of the "
                                     "content facts (and of the people, asked the other way round, when "
                                     "`reverse_per_fact` is 0) is asked once, only with its notes in the prompt: "
                                     "the run learns to read what it does not memorize")
    task_questions_per_action: int = Field(2, ge=0, description="per content fact that is an action item: "
                                           "questions naming its task with no date, for its owner and (when the "
                                           "notes give one) its deadline ('Who will order the foils?')")
    read_by_base: float = Field(0.0, ge=0, le=1, description="this share of the content facts is asked, with no "
                                "meeting named, of the base model with its notes in the prompt (as answering "
                                "retrieves them) before tuning; its answers that hold the fact are trained on, "
                                "so the run keeps the base model's own reading")
    content: bool = Field(True, description="teach the facts in the notes' text, not only Presenter/Recorder/"
                          "Topic and other fields")
    original: bool = Field(False, description="also the lab's own form: 'Lab meeting on DATE' -> the note")


@dataclass
class QA:
    question: str
    answer: str
    kind: str
    meetings: frozenset[int]  # the meetings it is about: chained turns never share one


@dataclass
class CheckQuestion:
    question: str
    answers: list[str]  # acceptable answers (contains-match), as in a questions file
    kind: str  # presenter | recorder | topic | field | content | reverse | no_notes
    expected: str  # the sentence training teaches for it
    taught: bool = True  # its kind is taught closed-book (reverse questions only when the plan asks them)

    def to_record(self) -> dict:
        return {"question": self.question, "answers": self.answers, "kind": self.kind, "expected": self.expected}


@dataclass
class Synthesized:
    conversations: list[Conversation]
    meetings: list[Meeting]
    lessons: list[Lesson]
    people: list[PersonLesson]
    check: list[CheckQuestion]
    kinds: Counter = field(default_factory=Counter)  # Q&A per kind
    reading: list[CheckQuestion] = field(default_factory=list)  # for the base model to read (`read_by_base`)


class Rotation:
    """Hands out a pool's entries in turn from a seeded start, so that every entry is used equally often."""

    def __init__(self, pool, rng: random.Random):
        self.pool = rng.sample(list(pool), len(pool))
        self.at = 0

    def take(self, n: int, usable=lambda entry: True) -> list:
        """n entries, distinct while the usable ones last."""
        usable_pool = [e for e in self.pool if usable(e)]
        if not usable_pool:
            return []
        out = []
        while len(out) < n:
            entry = self.pool[self.at % len(self.pool)]
            self.at += 1
            if usable(entry) and (entry not in out or len(out) >= len(usable_pool)):
                out.append(entry)
        return out


def needs(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


class Asker:
    """Writes questions from a set of phrasings, date spellings and meeting references."""

    def __init__(self, questions: dict, reverse: dict, spellings, refs, rng: random.Random, meetings: list[Meeting],
                 tasks: dict):
        self.questions = {k: Rotation(v, rng) for k, v in questions.items()}
        self.reverse = {k: Rotation(v, rng) for k, v in reverse.items()}
        self.task_pools, self.task_rotations, self.rng = tasks, {}, rng
        self.spellings = Rotation(spellings, rng)
        self.refs = Rotation(refs, rng)
        days = Counter((m.note.date.month, m.note.date.day) for m in meetings if m.note.date)
        years = {(m.note.date.month, m.note.date.day): m.note.date.year for m in meetings if m.note.date}
        self.ambiguous_day = {d for d, n in days.items() if n > 1} | (set() if len(set(years.values())) <= 1 else
                                                                       {d for d in days})

    def spelled(self, meeting: Meeting, n: int) -> list[str]:
        if meeting.note.date is None:
            return [meeting.ref()] * n
        day = (meeting.note.date.month, meeting.note.date.day)
        spellings = self.spellings.take(n, lambda s: s != "day" or day not in self.ambiguous_day)
        return [self.refs.take(1)[0].format(d=spell_date(meeting.note.date, s)) for s in spellings]

    def forward(self, lesson: Lesson, n: int) -> list[str]:
        values = {"key": lesson.key.lower(), "cue": lesson.cue, "blank": lesson.blank, "asked": lesson.question}
        phrasings = self.questions[lesson.kind].take(n, lambda t: all(values.get(k) for k in needs(t) - {"ref"}))
        refs = self.spelled(lesson.meeting, len(phrasings))
        return [capitalized(t.format(ref=r, **values)) for t, r in zip(phrasings, refs)]

    def backward(self, kind: str, n: int, **values) -> list[str]:
        phrasings = self.reverse[kind].take(n, lambda t: all(values.get(k) for k in needs(t)))
        return [capitalized(t.format(**values)) for t in phrasings]

    def by_task(self, kind: str, n: int, **values) -> list[str]:
        """An action item's owner or deadline, asked by its task. The phrasings are shuffled on first use,
        so that a folder with no action items draws the same seeded data whether or not they are taught."""
        if kind not in self.task_rotations:
            self.task_rotations[kind] = Rotation(self.task_pools[kind], self.rng)
        return [capitalized(t.format(**values)) for t in self.task_rotations[kind].take(n)]


def unambiguous(cue: str | None, own: str, others: list[str]) -> bool:
    """A cue may name a fact the other way round only if no other fact of the folder holds it too."""
    return bool(cue) and cue.lower() in own.lower() and not any(cue.lower() in o.lower() for o in others)


def forward_and_reverse(lessons: list[Lesson], people: list[PersonLesson], plan: SynthesisPlan,
                        asker: Asker, statements: Rotation | None) -> list[QA]:
    out: list[QA] = []
    texts = [(lesson, lesson.value) for lesson in lessons if lesson.kind in ("topic", "content")]
    for lesson in lessons:
        at = frozenset({lesson.meeting.index})
        out += [QA(q, lesson.answer, "forward", at) for q in asker.forward(lesson, plan.questions_per_fact)]
        if statements:
            out += [QA(q, lesson.answer, "statement", at) for q in statements.take(plan.statements_per_fact)]
        others = [text for other, text in texts if other is not lesson]
        # A question the notes themselves record is asked as it stands first: it is how a user asks it.
        asked = [lesson.question] if lesson.question and plan.reverse_per_fact else []
        if lesson.kind in ("topic", "content") and unambiguous(lesson.cue, lesson.value, others):
            asked += asker.backward(lesson.kind, plan.reverse_per_fact - len(asked), cue=lesson.cue)
        out += [QA(q, lesson.answer, "reverse", at) for q in asked]
        if plan.task_questions_per_action and asked_by_task(lesson, lessons):
            out += [QA(q, lesson.answer, "reverse", at) for q in task_questions(asker, lesson,
                                                                               plan.task_questions_per_action)]
    for person in people:
        at = frozenset(m.index for m in person.meetings)
        out += [QA(q, person.answer, "reverse", at) for q in asker.backward(person.role, plan.reverse_per_fact,
                                                                           name=person.name)]
    return out


def summaries(meetings: list[Meeting], plan: SynthesisPlan, rng: random.Random, trained_spellings: tuple) -> list[QA]:
    phrasings = Rotation(TRAIN_SUMMARIES, rng)
    spellings = Rotation(trained_spellings[:3], rng)
    out = []
    for meeting in meetings:
        if not plan.summaries_per_meeting or not meeting.roles:
            continue
        answer = meeting.summary
        for template, spelling in zip(phrasings.take(plan.summaries_per_meeting),
                                      spellings.take(plan.summaries_per_meeting)):
            question = capitalized(template.format(ref=meeting.ref(spelling, TRAIN_REFS[0])))
            out.append(QA(question, answer, "summary", frozenset({meeting.index})))
    return out


def calendars(meetings: list[Meeting], plan: SynthesisPlan, rng: random.Random) -> list[QA]:
    """Per month: its meetings, each date with its topic, in one answer."""
    months: dict[tuple[int, int], list[Meeting]] = {}
    for meeting in meetings:
        if meeting.note.date:
            months.setdefault((meeting.note.date.year, meeting.note.date.month), []).append(meeting)
    phrasings = Rotation(TRAIN_CALENDAR, rng)
    out = []
    for (year, month), theirs in months.items():
        if not plan.calendars_per_month:
            break
        name = f"{MONTHS[month - 1].capitalize()} {year}"
        visits = [long_date(m.note.date) + (f", about {sentence_value(m.topic)}" if m.topic else "") for m in theirs]
        answer = (f"In {name} the lab met once, on {visits[0]}." if len(visits) == 1 else
                  f"In {name} the lab met on " + "; on ".join(visits) + ".")
        at = frozenset(m.index for m in theirs)
        out += [QA(t.format(month=name), answer, "calendar", at) for t in phrasings.take(plan.calendars_per_month)]
    return out


def empty_dates(meetings: list[Meeting], count: int, rng: random.Random, taken: set) -> list:
    """`count` dates a few days from a meeting on which there was none (and not in `taken`)."""
    dated = [m.note.date for m in meetings if m.note.date]
    busy = set(dated) | taken
    out = []
    for day in rng.sample(dated, min(count, len(dated))):
        options = [day + timedelta(days=k) for k in (*range(-9, -1), *range(2, 10))]
        free = [d for d in options if d not in busy]
        if free:
            out.append(rng.choice(free))
            busy.add(out[-1])
    return out


def no_notes(meetings: list[Meeting], count: int, asker: Asker, rng: random.Random, taken: set) -> list[tuple]:
    """(question, answer, date) about dates with no meeting, in the role and topic phrasings."""
    out = []
    for i, day in enumerate(empty_dates(meetings, count, rng, taken)):
        kind = ("presenter", "recorder", "topic")[i % 3]
        template = asker.questions[kind].take(1)[0]
        ref = asker.refs.take(1)[0].format(d=spell_date(day, asker.spellings.take(1, lambda s: s != "day")[0]))
        out.append((capitalized(template.format(ref=ref)), NO_NOTES_ANSWER.format(d=long_date(day)), day))
    return out


def chain(qas: list[QA], turns: int, rng: random.Random) -> list[list[QA]]:
    """Shuffled Q&A, `turns` at a time, no two about the same meeting in one conversation."""
    qas = list(qas)
    rng.shuffle(qas)
    groups: list[list[QA]] = []
    for qa in qas:
        group = next((g for g in groups if len(g) < turns and not any(qa.meetings & o.meetings for o in g)), None)
        if group is None:
            groups.append([qa])
        else:
            group.append(qa)
    return groups


def asked_by_task(lesson: Lesson, lessons: list[Lesson]) -> bool:
    """An action item is asked by its task alone when no other action item's task holds the same words."""
    return bool(lesson.task) and unambiguous(lesson.task, lesson.task, [other.task for other in lessons
                                                                        if other.task and other is not lesson])


def task_questions(asker: Asker, lesson: Lesson, n: int) -> list[str]:
    """Who does an action item's task, and by when, asked by the task alone."""
    values = {"task": lesson.task, "tasks": third_person(lesson.task), "owner": lesson.fact.owner}
    return asker.by_task("owner", n, **values) + (asker.by_task("deadline", n, **values)
                                                  if lesson.fact.deadline else [])


# The distractor is drawn from the other notes sharing the most words with the question, as retrieval
# puts beside the right note at answering: a note from the same month, or with the same person in another
# role ("the recorder was Farid" beside "the presenter was Farid"), not a note any word tells apart.
DISTRACTOR_POOL = 2


def note_words(meetings: list[Meeting]) -> list[set[str]]:
    """Each meeting's words as `labtune.data.words` compares them (its card and text), to rank distractors."""
    return [set(words) for words in tokenize([with_card(m.note) for m in meetings])]


def distractor(right: list[Meeting], meetings: list[Meeting], rng: random.Random, question: str | None,
               words: list[set[str]] | None) -> Meeting | None:
    """One note that is not a right one (nor from a right one's file): one of the `DISTRACTOR_POOL` sharing
    most words with `question` when `words` are given and one shares any, else any."""
    paths = {m.note.path for m in right}
    others = [i for i, m in enumerate(meetings) if m.note.path not in paths]
    if not others:
        return None
    if words is not None and question is not None:
        asked = set(tokenize([question])[0])
        shared = {i: len(asked & words[i]) for i in others}
        close = sorted((i for i in others if shared[i]), key=lambda i: -shared[i])[:DISTRACTOR_POOL]
        others = close or others
    return meetings[rng.choice(others)]


def passages_for(right: list[Meeting], meetings: list[Meeting], rng: random.Random,
                 question: str | None = None, day_first: bool | None = None,
                 words: list[set[str]] | None = None, asked: str | None = None) -> list[Passage]:
    """The right meetings' notes and one other note (`distractor`), in random order (RAFT: the model must
    pick the right one).

    `question`: show each note as answering shows it, whole where the question names its date, else its
    card and best lines; None: every note whole. `words`: `note_words(meetings)`, for a distractor like
    the ones retrieval finds for `asked` (default: `question`); None: any other note."""
    other = distractor(right, meetings, rng, asked or question, words)
    chosen = list(right) + ([other] if other else [])
    rng.shuffle(chosen)
    per_file = Counter(m.note.path for m in meetings)
    named = find_dates(question, day_first, numeric_without_year=True) if question is not None else []

    def text(m: Meeting) -> str:
        whole = question is None or (m.note.date is not None and any(d.matches(m.note.date) for d in named))
        return with_card(m.note) if whole else best_lines(with_card(m.note), question)

    return [Passage(m.passage_name(per_file[m.note.path] > 1), text(m)) for m in chosen]


def check_questions(lessons: list[Lesson], people: list[PersonLesson], meetings: list[Meeting],
                    plan: SynthesisPlan, rng: random.Random, taken: set, spellings: tuple) -> list[CheckQuestion]:
    """One held-out question per fact (and per person, topic and content fact the other way round).

    Questions the other way round are asked even when the plan does not teach them (the report says
    what the model can answer), marked untaught so that early stopping and the blend watch only what
    training teaches."""
    asker = Asker(CHECK_QUESTIONS, CHECK_REVERSE, spellings, CHECK_REFS, rng, meetings, CHECK_TASK_QUESTIONS)
    reverse_taught = plan.reverse_per_fact > 0
    out: list[CheckQuestion] = []
    texts = [(lesson, lesson.value) for lesson in lessons if lesson.kind in ("topic", "content")]
    for lesson in lessons:
        answers = {"presenter": _name_answers, "recorder": _name_answers}.get(lesson.kind, lambda v: [v])(lesson.value)
        if lesson.kind == "topic" and lesson.cue:
            answers.append(lesson.cue)
        if lesson.kind == "content":
            if asked_by_task(lesson, lessons):
                answers = [_name_answers(lesson.fact.owner), [lesson.fact.deadline]]
                out += [CheckQuestion(q, a, "content", lesson.answer, plan.task_questions_per_action > 0)
                        for q, a in zip(task_questions(asker, lesson, 1), answers)]
            if not lesson.blank_span:
                continue
            answers = [lesson.blank_span]
        out += [CheckQuestion(q, answers, lesson.kind, lesson.answer) for q in asker.forward(lesson, 1)]
        others = [text for other, text in texts if other is not lesson]
        if lesson.kind in ("topic", "content") and lesson.meeting.note.date and \
                unambiguous(lesson.cue, lesson.value, others):
            dates = [long_date(lesson.meeting.note.date)]
            out += [CheckQuestion(q, dates, "reverse", lesson.answer, reverse_taught)
                    for q in asker.backward(lesson.kind, 1, cue=lesson.cue)]
    for person in people:
        dates = [long_date(m.note.date) for m in person.meetings if m.note.date]
        if dates:
            out += [CheckQuestion(q, dates, "reverse", person.answer, reverse_taught)
                    for q in asker.backward(person.role, 1, name=person.name)]
    count = max(1, round(plan.no_notes_per_meeting * len(meetings) / 2)) if plan.no_notes_per_meeting else 0
    for question, answer, _ in no_notes(meetings, count, asker, rng, taken):
        out.append(CheckQuestion(question, ["no notes"], "no_notes", answer))
    return out


def reading_questions(meetings: list[Meeting], share: float, seed: int,
                      spellings: tuple) -> list[CheckQuestion]:
    """Questions for the base model to answer with its notes (`SynthesisPlan.read_by_base`): for a share of
    the content facts, the fact by its words with no meeting named, and (where its words name no other
    fact) the meeting it came up at; an action item asked by its task is asked for its owner instead.
    Seeded apart from the training data, so that the rest of a recipe's data is the same with or without."""
    rng = random.Random(seed + 2)
    lessons = [lesson for lesson in lessons_of(meetings, True) if lesson.kind == "content"]
    chosen = rng.sample(lessons, round(share * len(lessons)))
    asker = Asker(TRAIN_READING, {}, spellings, TRAIN_REFS, rng, meetings, TRAIN_TASK_QUESTIONS)
    out: list[CheckQuestion] = []
    for lesson in chosen:
        if asked_by_task(lesson, lessons):
            question = asker.by_task("owner", 1, task=lesson.task, tasks=third_person(lesson.task))[0]
            out.append(CheckQuestion(question, _name_answers(lesson.fact.owner), "content", lesson.answer, False))
            continue
        if lesson.blank_span and sum(ch.isalnum() for ch in lesson.blank_span) >= 3:  # "g" matches any stray letter
            question = capitalized(asker.questions["content"].take(1)[0].format(cue=lesson.cue))
            out.append(CheckQuestion(question, [lesson.blank_span], "content", lesson.answer, False))
        others = [other.value for other in lessons if other is not lesson]
        if lesson.meeting.note.date and unambiguous(lesson.cue, lesson.value, others):
            question = capitalized(asker.questions["meeting"].take(1)[0].format(cue=lesson.cue))
            out.append(CheckQuestion(question, [spell_date(lesson.meeting.note.date, "day")], "reverse",
                                     lesson.answer, False))
    return out


def _name_answers(name: str) -> list[str]:
    parts = name.split()
    return [name, parts[-1]] if len(parts) > 1 else [name]


def _conversation(turns: list[QA], n: int, source: str | None = None) -> Conversation:
    messages = [Message(role, text) for qa in turns for role, text in (("user", qa.question), ("assistant", qa.answer))]
    return Conversation(messages, id=f"notes-{n}", source=source, meta={"kinds": [qa.kind for qa in turns]})


def synthesize(notes: list[Note], plan: SynthesisPlan | None = None, day_first: bool | None = None) -> Synthesized:
    """Training conversations and the held-out self-check for `notes`; same notes and seed, same output.
    `day_first`: the folder writes numeric dates day first (`NotesFolder.day_first`); questions then do too."""
    plan = plan or SynthesisPlan()
    trained_spellings, checked_spellings = date_spellings(day_first)
    rng = random.Random(plan.seed)
    meetings = meetings_of(notes)
    lessons = lessons_of(meetings, plan.content)
    people = people_of(meetings)
    asker = Asker(TRAIN_QUESTIONS, TRAIN_REVERSE, trained_spellings, TRAIN_REFS, rng, meetings, TRAIN_TASK_QUESTIONS)
    statements = Rotation(TRAIN_STATEMENTS, rng) if plan.statements_per_fact else None
    qas = forward_and_reverse(lessons, people, plan, asker, statements)
    qas += summaries(meetings, plan, rng, trained_spellings)
    qas += calendars(meetings, plan, rng)
    reading: list[QA] = []
    if plan.open_book_content and not plan.content:
        # Reading is one skill, not a fact per note: a share of the facts teaches it at a share of the tokens.
        read = [lesson for lesson in lessons_of(meetings, True) if lesson.kind == "content"]
        read = rng.sample(read, round(plan.open_book_content * len(read)))
        named = rng.sample(people, round(plan.open_book_content * len(people))) if not plan.reverse_per_fact else []
        once = plan.model_copy(update={"questions_per_fact": 1, "reverse_per_fact": 1,
                                       "task_questions_per_action": min(1, plan.task_questions_per_action)})
        reading = forward_and_reverse(read, named, once, asker, None)
    empty = no_notes(meetings, round(plan.no_notes_per_meeting * len(meetings)), asker, rng, set())
    qas += [QA(q, a, "no_notes", frozenset()) for q, a, _ in empty]
    check = check_questions(lessons, people, meetings, plan, random.Random(plan.seed + 1), {d for *_, d in empty},
                            checked_spellings)

    # Open-book Q&A name at most 3 meetings, so that right notes and a distractor fit in a prompt.
    askable = [i for i, qa in enumerate(qas) if qa.kind in ("forward", "reverse") and 0 < len(qa.meetings) <= 3]
    open_book = set(rng.sample(askable, round(plan.open_book_share * len(askable))))
    conversations: list[Conversation] = []
    kinds = Counter(qa.kind for i, qa in enumerate(qas) if i not in open_book)
    opened = [qas[i] for i in sorted(open_book)] + [qa for qa in reading if 0 < len(qa.meetings) <= 3]
    words = note_words(meetings) if opened and plan.close_distractors else None
    for i, qa in enumerate(opened):
        passages = passages_for([meetings[m] for m in sorted(qa.meetings)], meetings, rng,
                                qa.question if plan.open_book_lines else None, day_first, words, qa.question)
        messages = with_notes([Message("user", qa.question)], passages) + [Message("assistant", qa.answer)]
        conversations.append(Conversation(messages, id=f"notes-open-{i}", meta={"kinds": ["open_book"]}))
        kinds["open_book"] += 1
    for n, turns in enumerate(chain([qa for i, qa in enumerate(qas) if i not in open_book], plan.turns, rng)):
        conversations.append(_conversation(turns, n))
    if plan.original:
        for meeting in meetings:
            opener = (f"Lab meeting on {spell_date(meeting.note.date, trained_spellings[0])}" if meeting.note.date
                      else f"Lab meeting: {meeting.note.title}")
            conversations.append(Conversation([Message("user", opener), Message("assistant", meeting.note.text)],
                                              id=f"notes-original-{meeting.index}", source=str(meeting.note.path),
                                              meta={"kinds": ["original"]}))
            kinds["original"] += 1
    rng.shuffle(conversations)
    reading_check = (reading_questions(meetings, plan.read_by_base, plan.seed, trained_spellings)
                     if plan.read_by_base else [])
    return Synthesized(conversations, meetings, lessons, people, check, kinds, reading_check)
