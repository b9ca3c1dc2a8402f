"""Read one notes file into its meetings (`Note`s): the envelope (email headers, YAML front matter),
the split into meetings, each meeting's labels, tables, items and prose, its date, and the roles and
topic it states, each with where it was found (`Note.field_sources`).

Written for any lab's notes, not one layout: docs/notes.md lists the layouts and the order in which
the sources of a date, a role or a topic are tried. `read_notes` (folder.py) reads a whole folder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from labtune.data.notes.agendas import agenda_roles, speakers_item
from labtune.data.notes.chatlog import chat_to_paragraphs
from labtune.data.notes.dates import MONTHS, find_date
from labtune.data.notes.envelope import Envelope, read_envelope
from labtune.data.notes.labels import (
    APOLOGIES,
    ATTENDEES,
    DATE,
    PERSON_ROLES,
    PRESENTER,
    RECORDER,
    TOPIC,
    canonical_key,
    label_role,
    looks_like_name,
    split_name_and_topic,
    split_topic_and_name,
)
from labtune.data.notes.lines import is_section_name, walk
from labtune.data.notes.meeting_date import MeetingDates, day_in_month_folder, path_parts
from labtune.data.notes.meetings import split_meetings
from labtune.data.notes.note import Fact, Note, NotesFolder
from labtune.data.notes.orgmode import org_to_markdown
from labtune.data.notes.people import People
from labtune.data.notes.prose import role_statements, split_sentences
from labtune.data.notes.titles import is_title_line, subject_of

__all__ = ["MONTHS", "Fact", "FolderContext", "Note", "NotesFolder", "canonical_key", "find_date", "parse_file",
           "parse_note", "read_notes"]

PEOPLE_KEYS = (*PERSON_ROLES, ATTENDEES, APOLOGIES)

@dataclass
class FolderContext:
    """What the whole folder says that one note may need: its day/month order, its usual year, its people."""

    root: Path | None = None
    day_first: bool | None = None
    folder_year: int | None = None
    people: People = field(default_factory=People)


def _lowercase_writer(text: str) -> bool:
    """Terse notes written all in lowercase ("pres: siobhan"): names there are lowercase too."""
    words = re.findall(r"[^\W\d_]{2,}", text)
    return len(words) >= 5 and sum(w[0].isupper() for w in words) <= len(words) * 0.05


def _first_line(lines: list[str]) -> int | None:
    return next((i for i, line in enumerate(lines) if line.strip()), None)


def _title_text(line: str) -> str:
    text = re.sub(r"(\*\*|__)", "", re.sub(r"^\s{0,3}#{1,6}\s+|\s+#+\s*$", "", line)).strip()
    return re.sub(r"^[*_](.+)[*_]$", r"\1", text).strip()  # *italic title*


_HEADING_LIKE = re.compile(r"\s{0,3}(#|\*\*|__)")


_WIKILINK = re.compile(r"\[\[(?:[^\[\]|]*\|)?([^\[\]|]+)\]\]")
_SAID_WHEN = re.compile(r"\b(today|yesterday|this\s+(?:morning|afternoon))(?:['’]s)?\b", re.I)
_CALLED_OFF = re.compile(r"\b(?:cancell?ed|postponed|called\s+off|no\s+(?:lab\s+)?meeting|skipped)\b", re.I)


def _names_the_group(subject: str, title: str) -> bool:
    """"Hydrology" in "3rd March 2026 - hydrology meeting": one word before the meeting word names the group."""
    return len(subject.split()) == 1 and bool(re.search(
        rf"\b{re.escape(subject)}\s+(?:(?:lab|group|team)\s+)?(?:meeting|seminar|call|sync)\b", title, re.I))


_ROLE_BESIDE_NAME = re.compile(r"(?P<name>[^(),;]+?)\s*\((?P<role>[^()]{2,30})\)")


def _roles_beside_names(attendees: str, is_name) -> list[tuple[str, str]]:
    """Roles written beside names in an attendee list: "Ana Lima (chair), Cy Dahl (minutes)"."""
    found = []
    for match in _ROLE_BESIDE_NAME.finditer(attendees):
        name = match["name"].strip(" ,;").removeprefix("and ").strip()
        role = label_role(match["role"], name, is_name)
        if role in PERSON_ROLES and is_name(name):
            found.append((name, role))
    return found


def _label_names_talk(label: str) -> bool:
    return bool(re.search(r"talk|presentation|seminar|lecture", label, re.I))


_QUOTES = {'"': '"', "“": "”", "'": "'", "‘": "’", "«": "»"}


def _unquoted(value: str) -> str:
    """'"Sediment mats under hypoxia"' (and '"...".' ending a sentence) -> 'Sediment mats under hypoxia': a
    talk's title in quotes is the title."""
    value = re.sub(r"^([*_])(?!\1)(.+)(?<!\1)\1$", r"\2", value.strip()).strip()  # a title in italics
    close = _QUOTES.get(value[:1])
    value = value[:-1] if close and value.endswith(close + ".") else value
    if close and len(value) > 2 and value.endswith(close) and value[0] not in value[1:-1] and close not in value[1:-1]:
        return value[1:-1].strip()
    return value


def _fields(note_fields: dict, sources: dict, key: str, value: str, source: str) -> None:
    value = _unquoted(value) if key == TOPIC else value
    if value and key not in note_fields:
        note_fields[key] = value
        sources[key] = source


def _subject(note_fields: dict, sources: dict, subject: str, source: str, is_name) -> None:
    """A title's or email subject's subject as the topic; "Jonas on soil moisture sensors" also names the speaker."""
    pair = split_name_and_topic(subject, is_name)
    if pair and all(word[:1].isupper() for word in pair[0].split()):  # "luis presenting, ..." is no speaker
        _fields(note_fields, sources, PRESENTER, pair[0], source)
        subject = pair[1]
    _fields(note_fields, sources, TOPIC, subject, source)


def _meeting(path: Path, lines: list[str], heading: str | None, env: Envelope, dates: MeetingDates,
             context: FolderContext, segment_text: str) -> Note:
    people = context.people
    lowercase = _lowercase_writer(segment_text)

    def is_name(value: str) -> bool:
        return looks_like_name(value) or people.is_person(value)

    title_index = None if env.title and heading is None else _first_line(lines)
    title = _title_text(lines[title_index]) if title_index is not None else (env.title or "")
    if title_index is not None and (lines[title_index].lstrip().startswith("|") or label_role(title.rstrip(":"))
                                    or (":" in title and label_role(title.split(":")[0], title.split(":", 1)[1]))):
        title = path.stem  # the first line is a table or a label, no title
    elif title_index is not None and heading is None and not _HEADING_LIKE.match(lines[title_index]) \
            and not is_title_line(lines[title_index]):
        title_index = None  # the note opens with prose: it is read as such, and names the note
        title = title if len(title) <= 60 else title[:57].rsplit(" ", 1)[0] + "..."
    body = walk(lines, title_index, people, lowercase)

    fields: dict[str, str] = {}
    sources: dict[str, str] = {}
    for key, value, _label, source in (env.fields if heading is None else []) + body.fields:
        if key == TOPIC and len(sentences := split_sentences(value)) > 1:
            value = sentences[0].rstrip(".")  # "Omar's talk: FTIR spectra of the fibres. Polyester dominated."
        if key == TOPIC and (talk := next((s.topic for s in role_statements(value, is_name)
                                           if s.role == PRESENTER and s.topic), None)):
            value = talk  # "### Presentation" over 'Marco presented "Heat stress in tomato".': the talk it names
        pair = split_name_and_topic(value, is_name) if key == PRESENTER else None
        if pair or (key == TOPIC and (pair := split_name_and_topic(value, is_name)) and _label_names_talk(_label)):
            _fields(fields, sources, PRESENTER, pair[0], source)  # "Speaker: Ana Lima – soil imaging"
            _fields(fields, sources, TOPIC, pair[1], source)
        elif key == TOPIC and subject_of(value) is None:
            continue  # "title: Weekly meeting" names the meeting, not its subject
        elif key == TOPIC and (pair := split_topic_and_name(value, people.is_person, _label_names_talk(_label))):
            _fields(fields, sources, TOPIC, pair[0], source)  # "Topic: Microbes in ice (Ana Lima)"
            _fields(fields, sources, PRESENTER, pair[1], source)
        else:
            _fields(fields, sources, key, value, source)
    for key, value in list(fields.items()):  # "Attendees: Ana Lima (chair), Bo (notes)", "Who: Mei (presenting)"
        if key not in PERSON_ROLES and key not in (TOPIC, DATE, APOLOGIES):
            for name, role in _roles_beside_names(value, is_name):
                _fields(fields, sources, role, name, "attendee list" if key == ATTENDEES else f"{key} label")
    title_roles = _roles_beside_names(re.sub(r"[–—/|]", ",", title), is_name) if title else []
    for name, role in title_roles:  # "## 2024-06-06 — Priya (pres) / Sven (notes)"
        _fields(fields, sources, role, name, "title")
    mail = env.email
    if mail and heading is None:
        _subject(fields, sources, subject_of(mail.subject or "") or "", "email subject", is_name)
        # Who wrote the mail took the notes, unless a sentence says who did ("Notes taken by Mei Lin").
        stated = any(statement.role == RECORDER for statement in body.statements)
        if mail.signoff and not stated:
            signed = mail.signoff
            if mail.sender and mail.sender.split()[0].casefold() == signed.split()[0].casefold():
                signed = mail.sender  # "Lucía" signing a mail from "Lucía Nakamura"
            _fields(fields, sources, RECORDER, signed, "email sign-off")
        elif mail.sender and looks_like_name(mail.sender) and not stated:
            _fields(fields, sources, RECORDER, mail.sender, "email sender")
    title_subject = None
    if title_index is not None and is_title_line(lines[title_index]) and not mail:
        # A heading names the subject; a plain first line only when it also says "lab meeting" or a date
        # ("Lab meeting 23 April — GC backlog"), since "quick notes" or "Field day" may be no topic at all.
        subject = subject_of(title)
        names_roles = any(s.sentence == _title_text(lines[title_index]) for s in body.statements)
        plain_line = not _HEADING_LIKE.match(lines[title_index]) and subject == title.strip()
        if subject and not names_roles and not title_roles and not plain_line:
            title_subject = subject
    if title_subject and _CALLED_OFF.search(title_subject):  # "2026-01-27 (cancelled — AGU travel)": no talk
        _fields(fields, sources, "Status", title_subject, "title")
        title_subject = None
    if title_subject and not _names_the_group(title_subject, title):
        _subject(fields, sources, title_subject, "title", is_name)
    for statement in body.statements:
        _fields(fields, sources, statement.role, statement.name, f'sentence: "{statement.sentence}"')
        if statement.topic and statement.role == PERSON_ROLES[0]:
            _fields(fields, sources, TOPIC, statement.topic, f'sentence: "{statement.sentence}"')
    for key, value in agenda_roles(body.agenda) if PRESENTER not in fields else []:  # several timed talks
        _fields(fields, sources, key, value, "agenda")
    if title_subject:  # "hydrology meeting" names whose meeting it is: the topic when nothing says more
        _subject(fields, sources, title_subject, "title", is_name)
    if mail and heading is None and mail.sender and len(mail.sender.split()) > 1:
        for key in PERSON_ROLES:  # "Jonas on soil moisture sensors" in a mail from Jonas Berg
            if fields.get(key, "").casefold() == mail.sender.split()[0].casefold():
                fields[key] = mail.sender
    for key in PEOPLE_KEYS:
        if key in fields:
            if key in PERSON_ROLES:  # "Ana Lima (PhD student)", "Dr. Ana Lima": the name itself
                bare = re.sub(r"^(?:dr|prof)\.?\s+|^@|\s*\([^)]*\)\s*$|,?\s+(?:ph\.?\s?d|m\.?sc|b\.?sc|m\.?d)\.?$|"
                              r"(?<=[^\W\d_]{3})\.$", "", fields[key], flags=re.I).strip()  # "Minutes: Lea Wong."
                if fields[key].startswith("@") and re.fullmatch(r"[^\W\d_]+(?:[._][^\W\d_]+)+", bare):
                    bare = re.sub(r"[._]", " ", bare).title()  # a handle: "@ahmed.karimi" -> "Ahmed Karimi"
                fields[key] = bare if is_name(bare) else fields[key]
            fields[key] = people.expand(fields[key])
    if TOPIC not in fields and title == path.stem and body.headings and not is_section_name(body.headings[0]):
        # Labels first, then "### Coral bleaching thresholds": the first heading names the subject.
        _fields(fields, sources, TOPIC, subject_of(body.headings[0]) or "", "heading")
    if TOPIC not in fields and PRESENTER in fields:
        # The speaker's agenda item or opening line: "1. Tariq Haddad: calibrating the tower", "Priya: kits compared."
        opening = next((line.strip() for i, line in enumerate(lines) if line.strip() and i != title_index), "")
        if own := speakers_item(fields[PRESENTER], [*body.items, opening], is_name, people):
            _fields(fields, sources, TOPIC, own[0], f'line: "{own[1]}"')
    if PRESENTER not in fields and _CALLED_OFF.search(fields.get(TOPIC, "")):  # a schedule's "no meeting (holiday)"
        _fields(fields, sources, "Status", fields.pop(TOPIC), sources.pop(TOPIC))

    candidates = [(text, source) for text, source in env.dates if heading is None]
    said = _SAID_WHEN.search(mail.subject or "") if mail and mail.sent and heading is None else None
    if said:  # "notes from yesterday's meeting", sent on the 12th: the 11th, whatever dates the body mentions
        day = mail.sent - timedelta(days=1 if said[1].lower() == "yesterday" else 0)
        candidates.insert(0, (day.isoformat(), f"email's date ({said[1].lower()})"))
    candidates += body.dates
    if title_index is not None:
        candidates.append((lines[title_index], "heading"))
    first_lines = [line for line in lines if line.strip()][:8]
    candidates.append(("\n".join(first_lines), "body"))
    if mail and mail.sent_text and heading is None:
        candidates.append((mail.sent_text, "email header"))
    parts = path_parts(path, context.root)
    if parts:
        candidates.append((parts[-1], "file name"))
        day = day_in_month_folder(parts)
        if day:
            candidates.append((day, "file name and folder"))
        candidates += [(part, "folder name") for part in reversed(parts[:-1])]
    when, source = dates.pick(candidates)

    text = segment_text if heading is not None else "\n\n".join(p for p in (env.text, segment_text) if p)
    empty = [key for key in dict.fromkeys(body.empty) if key not in fields]
    return Note(path, title or path.stem, when, fields, text.strip(), body.headings, body.items, body.questions,
                body.actions, empty, body.sections, body.facts, source, sources)


def parse_file(path: Path, text: str, context: FolderContext | None = None) -> list[Note]:
    """Every meeting in one file's text (several when dated headings split it), dated or not."""
    context = context or FolderContext()
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    text = _WIKILINK.sub(r"\1", text)  # Obsidian, Logseq, Foam: "[[Ana Lima]]", "[[ana-lima|Ana]]" -> the shown text
    text = chat_to_paragraphs(text)
    if path.suffix.lower() == ".org":
        text = org_to_markdown(text)
    env = read_envelope(text, lambda v: looks_like_name(v) or context.people.is_person(v))
    years = [(env.email.sent.year, "the email's date")] if env.email and env.email.sent else []
    parts = path_parts(path, context.root)
    lines = env.body.split("\n")
    dates = MeetingDates(parts, text, context.day_first, years, context.folder_year,
                         env.email.sent if env.email else None)
    preamble, segments = split_meetings(lines, dates.day_first)
    preamble_years = [int(y) for y in re.findall(r"(?<!\d)((?:19|20)\d\d)(?!\d)", "\n".join(preamble))]
    if preamble_years:
        dates.years.insert(0, (preamble_years[0], "the file's heading"))
    notes = [_meeting(path, segment.lines, segment.heading, env, dates, context, "\n".join(segment.lines).strip())
             for segment in segments]
    for note in notes:
        note.problems = env.problems + dates.problems
    return notes


def parse_note(path: Path, text: str, context: FolderContext | None = None) -> Note:
    """The first meeting of a file's text (all of it when it holds one meeting)."""
    return parse_file(path, text, context)[0]


def read_notes(folder: Path) -> NotesFolder:
    """All meetings under `folder` and the files skipped, with why (see folder.py)."""
    from labtune.data.notes.folder import read_notes as read  # folder.py builds on this module

    return read(folder)
