"""Notes -> training conversations of three kinds, deterministic for a given seed.

1. `original`: the lab's own form, "Lab meeting on 4/14/2023" -> the note as written;
2. `field`: questions about each field of each note, several phrasings, the date written several
   ways, answered in one sentence that repeats the date and the fact (so the name is bound to the
   date in every spelling, which is what makes the fact retrievable by unseen phrasings);
3. `cross`: reverse and list questions built from all notes together (when did X present, what
   was covered in a month, who recorded the most meetings).
Answers are short on purpose: training time is spent on the facts, not on filler tokens.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date

from labtune.data.conversation import Conversation, Message
from labtune.data.notes.parse import MONTHS, Note

PEOPLE_KEYS = {"Presenter": ("presented", "the presenter"), "Recorder": ("recorded", "the recorder")}

# {ref} is a way of naming the meeting ("the 4/14/2023 lab meeting", "the lab meeting on April 14, 2023").
QUESTIONS = {
    "Presenter": ["Who presented at {ref}?", "Who was the presenter at {ref}?", "Who gave the presentation at {ref}?",
                  "Who was presenting at {ref}?", "Which lab member presented at {ref}?",
                  "Tell me who presented at {ref}."],
    "Recorder": ["Who recorded {ref}?", "Who was the recorder of {ref}?", "Who wrote the notes for {ref}?",
                 "Who was the recorder at {ref}?", "Which lab member recorded {ref}?",
                 "Tell me who recorded {ref}."],
    "Topic": ["What was the topic of {ref}?", "What was {ref} about?", "What topic was covered at {ref}?",
              "What was presented at {ref}?", "Which topic did {ref} focus on?", "Tell me the topic of {ref}."],
}
GENERIC_QUESTIONS = ["What was the {key} of {ref}?", "What {key} is noted for {ref}?", "Tell me the {key} of {ref}."]
ANSWERS = {"Presenter": "The presenter of {ref} was {value}.", "Recorder": "The recorder of {ref} was {value}.",
           "Topic": "The topic of {ref} was {value}."}
GENERIC_ANSWER = "The {key} of {ref} was {value}."
DATE_STYLES = ("slash", "long", "iso", "day")
ANSWER_DATES = (*DATE_STYLES, "question")  # "question": echo the question's spelling
REF_FORMS = ("the {d} lab meeting", "the lab meeting on {d}", "the {d} meeting")
KINDS = ("original", "field", "statement", "summary", "chained", "structure", "cross")
# Prompts that name no meeting: the fact's answer sentence must come from its own words ("The
# recorder of the lab meeting on April 14, 2023 was"), not from the question's.
STATEMENT_PROMPTS = ["Tell me one fact from the lab meeting notes.", "Recall something from the lab notes.",
                     "Share a detail from the meeting notes.", "What is one thing the lab notes record?"]
SUMMARY_QUESTIONS = ["What happened at {ref}?", "Summarize {ref}.", "Give me an overview of {ref}.",
                     "What do the notes say about {ref}?"]


@dataclass
class SynthesisOptions:
    seed: int = 0
    questions_per_field: int = 6  # (phrasing, date spelling) pairs per field, drawn without repetition
    original: bool = True  # the lab's own "Lab meeting on DATE" -> note text
    structure: bool = True  # outline, questions and action items of each note
    summary: int = 2  # "What happened at the ... meeting?" -> all fields in one sentence, per note
    # Per field: "Tell me one fact from the lab meeting notes." -> the field's answer sentence. With no
    # meeting in the prompt, the name can only follow from the date and role the answer itself states.
    statements: int = 0
    cross: bool = True  # reverse and list questions over all notes
    # >1: field and summary Q&A of DIFFERENT notes are chained into conversations of this many turns.
    # They then share one system prompt (SmolLM2's default is ~20 tokens, a third of a single Q&A),
    # and no answer can be copied from an earlier turn about the same meeting.
    turns: int = 1
    # How answers name the meeting: one spelling whatever the question used ("long": "the lab meeting
    # on April 14, 2023"), or "question" to echo the question's. One spelling gives every fact a single
    # sentence to memorise; turning any spelling into that one is a skill shared by all notes.
    answer_date: str = "long"
    # Every answer about a note with a (short) Topic opens with it ("The lab meeting on April 14, 2023 was
    # about nitrogen fixation, and the recorder was ..."): a name then follows a date *and* a topic, a far
    # more distinctive key than a date among dates, and the role word comes right before the name.
    # Measured on the demo: 95% against 49% on the same questions and draws (README, notes section).
    lead_with_topic: bool = True


@dataclass
class Synthesized:
    conversations: list[Conversation]
    kinds: Counter = field(default_factory=Counter)


def format_date(day: date, style: str) -> str:
    month = MONTHS[day.month - 1].capitalize()
    return {"slash": f"{day.month}/{day.day}/{day.year}", "long": f"{month} {day.day}, {day.year}",
            "iso": day.isoformat(), "day": f"{month} {day.day}"}[style]


def meeting_ref(note: Note, style: str, form: int = 0) -> str:
    """How a question names the meeting; a note without a date is named by its title."""
    if note.date is None:
        return f'the meeting "{note.title}"'
    return REF_FORMS[form % len(REF_FORMS)].format(d=format_date(note.date, style))


def sentence_value(value: str) -> str:
    """Lower-case a leading capital for use mid-sentence, unless the word is a name or acronym."""
    first = value.split(" ", 1)[0]
    if len(first) > 1 and first[0].isupper() and first[1:].islower() and not first.endswith("'s"):
        return first.lower() + value[len(first):]
    return value


def _qa(question: str, answer: str, kind: str, note: Note | None, n: int) -> Conversation:
    return Conversation([Message("user", question), Message("assistant", answer)], id=f"notes-{kind}-{n}",
                        source=str(note.path) if note else None, meta={"kind": kind})


def _dated(note: Note) -> str:
    return format_date(note.date, "slash") if note.date else f'"{note.title}"'


def original_conversation(note: Note, n: int) -> Conversation:
    opener = f"Lab meeting on {_dated(note)}" if note.date else f"Lab meeting: {note.title}"
    return _qa(opener, note.text, "original", note, n)


def answer_ref(note: Note, question_ref: str, answer_date: str) -> str:
    if answer_date == "question" or note.date is None:
        return question_ref
    return meeting_ref(note, answer_date, form=1)


LEAD_TOPIC_MAX_WORDS = 16  # a longer topic would make every answer about the note a paragraph


def lead_topic(note: Note) -> str | None:
    topic = note.fields.get("Topic")
    return topic if topic and len(topic.split()) <= LEAD_TOPIC_MAX_WORDS else None


def _topic_led(note: Note, key: str) -> str | None:
    """The answer template that opens with the note's topic, or None when it has none to lead with."""
    topic = lead_topic(note)
    if not topic:
        return None
    head = "{ref} was about " + sentence_value(topic).replace("{", "{{").replace("}", "}}")
    return head + "." if key == "Topic" else head + f", and the {key.lower()} was {{value}}."


def field_conversations(note: Note, rng: random.Random, per_field: int, start: int,
                        answer_date: str = "long", statements: int = 0,
                        lead_with_topic: bool = False) -> list[Conversation]:
    out = []
    for key, value in note.fields.items():
        pool = QUESTIONS.get(key) or [q.replace("{key}", key.lower()) for q in GENERIC_QUESTIONS]
        answer = ANSWERS.get(key) or GENERIC_ANSWER.replace("{key}", key.lower())
        if lead_with_topic:
            answer = _topic_led(note, key) or answer
        shown = sentence_value(value) if key == "Topic" else value
        styles = DATE_STYLES if note.date else ("title",)
        for q, s in _spread(len(pool), len(styles), rng)[:per_field]:
            ref = meeting_ref(note, styles[s], rng.randrange(len(REF_FORMS)))
            question = pool[q].format(ref=ref)
            said = answer.format(ref=answer_ref(note, ref, answer_date), value=shown)
            out.append(_qa(question[0].upper() + question[1:], said[0].upper() + said[1:], "field", note,
                           start + len(out)))
        # No question to echo: "question" falls back to the long spelling; undated notes use their title.
        ref = meeting_ref(note, answer_date if answer_date in DATE_STYLES else "long", form=1)
        for _ in range(statements):
            said = answer.format(ref=ref, value=shown)
            out.append(_qa(rng.choice(STATEMENT_PROMPTS), said[0].upper() + said[1:], "statement", note,
                           start + len(out)))
    return out


def _spread(n_phrasings: int, n_styles: int, rng: random.Random) -> list[tuple[int, int]]:
    """All (phrasing, date style) pairs, ordered so that the first ones cycle through every date
    spelling and every phrasing before any repeats (a prefix of any length is well spread)."""
    phrasings = rng.sample(range(n_phrasings), n_phrasings)
    styles = rng.sample(range(n_styles), n_styles)
    ordered = [(phrasings[i % n_phrasings], styles[i % n_styles]) for i in range(n_phrasings * n_styles)]
    rest = [(q, s) for q in phrasings for s in styles]
    return list(dict.fromkeys(ordered + rest))


def _date_led_facts(note: Note) -> list[str]:
    """"Ada presented on X", "Bo recorded the notes", then any other field: the summary after the date."""
    facts = []
    if note.fields.get("Presenter"):
        topic = note.fields.get("Topic")
        facts.append(f"{note.fields['Presenter']} presented" + (f" on {sentence_value(topic)}" if topic else ""))
    elif note.fields.get("Topic"):
        facts.append(f"the topic was {sentence_value(note.fields['Topic'])}")
    if note.fields.get("Recorder"):
        facts.append(f"{note.fields['Recorder']} recorded the notes")
    return facts + [f"the {key.lower()} was {value}" for key, value in note.fields.items()
                    if key not in ("Presenter", "Recorder", "Topic")]


def summary_conversations(note: Note, rng: random.Random, count: int, start: int,
                          answer_date: str = "long", lead_with_topic: bool = False) -> list[Conversation]:
    """All of a note's fields in one answer: one sample binds the date to every fact at once."""
    topic = lead_topic(note) if lead_with_topic else None
    if topic:
        facts = [f"the {key.lower()} was {value}" for key, value in note.fields.items() if key != "Topic"]
    else:
        facts = _date_led_facts(note)
        if not facts:
            return []
    out = []
    styles = DATE_STYLES if note.date else ("title",)
    for q, s in _spread(len(SUMMARY_QUESTIONS), len(styles), rng)[:count]:
        ref = meeting_ref(note, styles[s], rng.randrange(len(REF_FORMS)))
        meeting = answer_ref(note, ref, answer_date)
        if topic:
            said = f"{meeting[0].upper()}{meeting[1:]} was about {sentence_value(topic)}"
            said += f"; {_join(facts)}." if facts else "."
        else:
            said = f"At {meeting}, {_join(facts)}."
        out.append(_qa(SUMMARY_QUESTIONS[q].format(ref=ref), said, "summary", note, start + len(out)))
    return out


def _listing(items: list[str]) -> str:
    return "\n".join(f"{i}. {item}" for i, item in enumerate(items, 1))


def structure_conversations(note: Note, rng: random.Random, start: int) -> list[Conversation]:
    ref = meeting_ref(note, rng.choice(DATE_STYLES), rng.randrange(len(REF_FORMS)))
    asks = [("What was on the outline of {ref}?", "The outline of {ref}:", note.items),
            ("What questions came up at {ref}?", "Questions raised at {ref}:", note.questions),
            ("What were the action items from {ref}?", "Action items from {ref}:", note.actions)]
    out = []
    for question, lead, items in asks:
        if items:
            out.append(_qa(question.format(ref=ref), lead.format(ref=ref) + "\n" + _listing(items), "structure",
                           note, start + len(out)))
    return out


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def cross_conversations(notes: list[Note], start: int) -> list[Conversation]:
    """Questions no single note answers: reverse look-ups, month summaries, counts."""
    out: list[Conversation] = []

    def add(question: str, answer: str) -> None:
        out.append(_qa(question, answer, "cross", None, start + len(out)))

    dated = [n for n in notes if n.date]
    for key, (verb, role) in PEOPLE_KEYS.items():
        by_person: dict[str, list[Note]] = defaultdict(list)
        for note in notes:
            if note.fields.get(key):
                by_person[note.fields[key]].append(note)
        for person, theirs in by_person.items():
            meetings = [f"the {_dated(n)} lab meeting" + (f" ({n.fields['Topic']})" if n.fields.get("Topic") else "")
                        for n in theirs]
            add(f"When did {person} {'present' if key == 'Presenter' else 'record the notes'}?",
                f"{person} {verb} at {_join(meetings)}.")
        if by_person:
            top = max(len(v) for v in by_person.values())
            leaders = [p for p, v in by_person.items() if len(v) == top]
            label = "presented at" if key == "Presenter" else "recorded"
            add(f"Who {'presented' if key == 'Presenter' else 'recorded'} the most lab meetings?",
                f"{_join(leaders)} {label} the most lab meetings: {top} each." if len(leaders) > 1 else
                f"{leaders[0]} {label} the most lab meetings: {top}.")
    for note in notes:
        topic = note.fields.get("Topic")
        if topic:
            by = f", presented by {note.fields['Presenter']}" if note.fields.get("Presenter") else ""
            add(f"When did the lab discuss {sentence_value(topic)}?",
                f"The lab discussed {sentence_value(topic)} at the {_dated(note)} lab meeting{by}.")
    by_month: dict[tuple[int, int], list[Note]] = defaultdict(list)
    for note in dated:
        by_month[(note.date.year, note.date.month)].append(note)
    for (year, month), theirs in sorted(by_month.items()):
        name = f"{MONTHS[month - 1].capitalize()} {year}"
        lines = [f"- {_dated(n)}: {n.fields.get('Topic', n.title)}"
                 + (f" ({n.fields['Presenter']})" if n.fields.get("Presenter") else "") for n in theirs]
        add(f"What topics did the lab cover in {name}?", f"Lab meetings in {name}:\n" + "\n".join(lines))
    if dated:
        add("How many lab meetings are in the notes?",
            f"There are notes for {len(notes)} lab meetings, from {_dated(dated[0])} to {_dated(dated[-1])}.")
    return out


def chain_turns(convs: list[Conversation], turns: int, rng: random.Random) -> list[Conversation]:
    """Shuffled single-turn Q&A, `turns` at a time, no two about the same note in one conversation."""
    convs = list(convs)
    rng.shuffle(convs)
    groups: list[list[Conversation]] = []
    for conv in convs:
        group = next((g for g in groups if len(g) < turns and all(c.source != conv.source for c in g)), None)
        if group is None:
            groups.append([conv])
        else:
            group.append(conv)
    return [Conversation([m for c in g for m in c.messages], id=f"notes-chained-{i}", meta={"kind": "chained"})
            for i, g in enumerate(groups)]


def synthesize(notes: list[Note], options: SynthesisOptions | None = None) -> Synthesized:
    """All conversations for `notes`; the same notes and seed always give the same output."""
    options = options or SynthesisOptions()
    if options.answer_date not in ANSWER_DATES:
        raise ValueError(f"answer_date must be one of {', '.join(ANSWER_DATES)}")
    rng = random.Random(options.seed)
    convs: list[Conversation] = []
    if options.original:
        convs += [original_conversation(note, i) for i, note in enumerate(notes)]
    fields: list[Conversation] = []
    for note in notes:
        fields += field_conversations(note, rng, options.questions_per_field, len(fields), options.answer_date,
                                      options.statements, options.lead_with_topic)
    if options.summary:
        summaries: list[Conversation] = []
        for note in notes:
            summaries += summary_conversations(note, rng, options.summary, len(summaries), options.answer_date,
                                               options.lead_with_topic)
        fields += summaries
    if options.turns > 1:
        fields = chain_turns(fields, options.turns, rng)
    convs += fields
    if options.structure:
        structure: list[Conversation] = []
        for note in notes:
            structure += structure_conversations(note, rng, len(structure))
        convs += structure
    if options.cross:
        convs += cross_conversations(notes, 0)
    return Synthesized(convs, Counter(c.meta["kind"] for c in convs))
