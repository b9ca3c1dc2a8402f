"""What a meeting's agenda says about its talks.

A meeting of several short talks often has no presenter label, only an agenda whose lines each lead
with a time and a speaker ("10:00 – Ana Lima: flume sediment transport", "10:20-10:40 Bo Chen – DNA
kits", or a `| Time | Speaker | Title |` table). Its speakers, in order, are the presenters and its
talks' titles, joined with "; ", the topic. Slots without a person ("10:40 – coffee", "Round table")
are no talks. One talk is the meeting's talk only in an agenda of two or more timed slots: a lone
timed line may be anything. A speaker's own item also names their talk when nothing else does
("1. Tariq Haddad: calibrating the eddy covariance tower").
"""

from __future__ import annotations

import re

from labtune.data.notes.labels import PRESENTER, TOPIC, split_name_and_topic, split_topic_and_name
from labtune.data.notes.people import NOT_PEOPLE, People, fold, split_people
from labtune.data.notes.prose import role_statements

# A time or a time range as agendas write them: "10:00", "9.30", "14h00", "10:00-10:20", "10:00 AM".
TIME_SLOT = r"\d{1,2}[:.h]\d\d(?:\s*[-–]\s*\d{1,2}[:.h]\d\d)?\s*(?:[AaPp]\.?[Mm]\.?)?"
_TIMED = re.compile(rf"^\s*(?:(?:[-*+•◦▪→]|\d{{1,3}}[.)])\s+)?(?:\*\*|__)?{TIME_SLOT}(?:\*\*|__)?\s*[-–—|]?\s+"
                    r"(?P<rest>\S.*?)\s*$")
_WHOLE_SLOT = re.compile(rf"\s*{TIME_SLOT}\s*")
# Words of an agenda's slots that are no talk: "coffee", "Round table", "lab business", "Welcome", "Q&A".
_NOT_TALKS = {"coffee", "tea", "break", "lunch", "welcome", "intro", "introduction", "introductions", "round",
              "table", "roundtable", "lab", "business", "housekeeping", "announcements", "aob", "wrap", "up",
              "close", "closing", "open", "opening", "general", "social", "remarks", "q", "a", "and", "the", "of",
              "any", "other", "discussion", "questions"}
# A section about another meeting ("Agenda for next week") holds no talk of this one.
_OTHER_MEETING = re.compile(r"\b(?:next|upcoming|following|previous|last)\b", re.I)
NO_TALK = ("", "")


def _first_clause(text: str) -> str:
    return re.split(r"(?<=[.!?])\s|\s[—–]\s|;\s", text)[0].strip(" .")


def _subject(text: str) -> str:
    """A talk's title: its first sentence or clause, without quotes around it."""
    title = _first_clause(text)
    quoted = re.fullmatch(r"[\"“‘'](.+)[\"”’']", title)
    return quoted[1].strip() if quoted else title


def _is_speaker(name: str, titled: bool, is_name, is_person) -> bool:
    """A person the agenda names: each one written as a name ("Ana Lima", "Priya" before a title), or known."""
    people = split_people(name)
    for person in people:
        words = person.split()
        if any(fold(word) in _NOT_TALKS for word in words) or (len(words) == 1 and fold(person) in NOT_PEOPLE):
            return False
        if not is_person(person) and not (is_name(person) and words[0][:1].isupper() and words[-1][:1].isupper()
                                          and (titled or len(words) > 1)):
            return False
    return bool(people)


def _talk(name: str, title: str, is_name, is_person) -> tuple[str, str]:
    name = re.sub(r"\s*\([^()]*\)|\b(?:Dr|Prof)\.?\s+", "", name).strip(" ,;")  # "Dr. Ana Lima (postdoc)"
    title = _subject(title)
    if not _is_speaker(name, bool(title), is_name, is_person):
        return NO_TALK
    if title and all(fold(word) in _NOT_TALKS for word in re.findall(r"[^\W\d_]+", title)):
        return NO_TALK  # "Cy Dahl: lab business" leads a slot but gives no talk
    return name, title


def agenda_slot(line: str, section: str, is_name, is_person) -> tuple[str, str] | None:
    """(speaker, title) for an agenda's timed line, NO_TALK for a timed slot with no talk, None for no timed line."""
    timed = _TIMED.match(line)
    if not timed or _OTHER_MEETING.search(section):
        return None
    rest = re.sub(r"(\*\*|__|`)", "", timed["rest"]).strip()
    pair = split_name_and_topic(rest, is_name)
    if not pair and (after := split_topic_and_name(rest, is_person)):
        pair = after[1], after[0]  # "flume sediment transport (Ana Lima)", "... by Ana Lima"
    if not pair and len(parts := re.split(r"\s*:\s+|\s+[–—-]\s+", rest, maxsplit=1)) == 2 and is_name(parts[0]):
        pair = parts[0], parts[1]  # a joint talk: "Ana Lima and Bo Chen: flume sediment transport"
    return _talk(*(pair or (rest, "")), is_name, is_person)


def table_slots(header_roles: list[str | None], rows: list[list[str]], is_name) -> list[tuple[str, str]]:
    """(speaker, title) per row of a timed agenda table (| Time | Speaker | Title |), [] for any other table."""
    timed = [i for i in range(len(header_roles)) if sum(bool(row[i]) for row in rows if i < len(row)) >= 2
             and all(_WHOLE_SLOT.fullmatch(row[i]) for row in rows if i < len(row) and row[i])]
    if PRESENTER not in header_roles or len(rows) < 2 or not timed:
        return []
    speaker = header_roles.index(PRESENTER)
    title = header_roles.index(TOPIC) if TOPIC in header_roles else None
    slots = []
    for row in rows:
        cell = dict(enumerate(row))
        slots.append(_talk(cell.get(speaker, ""), cell.get(title, "") if title is not None else "", is_name, is_name))
    return slots


def join_names(names: list[str]) -> str:
    """"Ana Lima", "Ana Lima and Bo Chen", "Ana Lima, Bo Chen and Cy Dahl": as a label lists several people."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def agenda_roles(slots: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """[(Presenter, the speakers), (Topic, the titles)] from an agenda's slots; [] when it gives no talks."""
    talks = [slot for slot in slots if slot != NO_TALK]
    if not (len(talks) >= 2 or (talks and len(slots) >= 2)):
        return []
    names: dict[str, str] = {}
    for speaker, _title in talks:
        for person in split_people(speaker):
            names.setdefault(fold(person), person)
    titles = list(dict.fromkeys(title for _speaker, title in talks if title))
    return [(PRESENTER, join_names(list(names.values())))] + ([(TOPIC, "; ".join(titles))] if titles else [])


def speakers_item(presenter: str, lines: list[str], is_name, people: People) -> tuple[str, str] | None:
    """(subject, line) of the presenter's own agenda item or opening line: "1. Tariq Haddad: calibrating the
    tower", "Priya: kits compared.", or an item stating the talk ("2. Jonas presented membrane protein ...")."""
    for line in lines:
        pair = split_name_and_topic(line, is_name)
        if not pair:
            said = [s for s in role_statements(line, people.is_person) if s.role == PRESENTER and s.topic]
            pair = (said[0].name, said[0].topic) if said else None
        if pair and people.expand(pair[0]) == presenter:
            return _first_clause(pair[1]), line
    return None
