"""Walk a meeting's lines once: labels (in label positions only), headings and sections, list items,
tables and prose paragraphs, each turned into fields or facts.

A label is recognised at the start of a line or list item, bold or not, before a colon (or a dash or a
question mark for role labels): `Presenter: A`, `**Notes:** B`, `- Speaker: C`, `Talk by - D`,
`Who presented? E`, two on one line joined by `·`, `|`, `;`, `, ` or `. `. A person's name before a colon
("Maria: will send the file") makes an action item, not a field; so does `TODO:`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from labtune.data.notes.agendas import TIME_SLOT, agenda_slot
from labtune.data.notes.dates import find_dates
from labtune.data.notes.facts import find_owner, make_fact, strip_markup
from labtune.data.notes.labels import (
    APOLOGIES,
    ATTENDEES,
    DATE,
    PERSON_ROLES,
    RECORDER,
    TOPIC,
    is_content_label,
    label_role,
    looks_like_name,
)
from labtune.data.notes.note import Fact
from labtune.data.notes.people import People, split_people
from labtune.data.notes.prose import RoleStatement, opens_on_another_meeting, role_statements, split_sentences
from labtune.data.notes.tables import find_tables, is_table_line, read_table
from labtune.data.notes.titles import subject_of

_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_BOLD_ONLY = re.compile(r"^\s*(\*\*|__)([^*_]+?)(\*\*|__)\s*:?\s*$")
_NOTES_BY = re.compile(r"^(?P<section>notes|minutes)\s*\((?:(?:taken\s+)?by\s+)?(?P<name>[^()]+)\)\s*:?$", re.I)
_NUMBERED = re.compile(r"^\s*(\d{1,3})[.)]\s+(.*\S)\s*$")
# A list item; an agenda's timed line ("10:00 – Ana Lima: soil fungi", "10:20-10:40 Bo Tran") is one too.
_BULLET = re.compile(rf"^\s*(?:[-*+•◦▪→]|->|=>|{TIME_SLOT}\s*[-–—|]?)\s+(?:\[[ xX]\]\s*)?(.*\S)\s*$")
_ACTION_LINE = re.compile(r"^\s*(?:[-*+•]\s+)?(?:\[[ xX]\]\s*|TODO\b\s*[:\-–]?\s*|"
                          r"(?:To-?do|Action(?:\s+item)?|AI)\s*[:\-–]\s*)(.*\S)\s*$", re.I)
ACTION_SECTION = re.compile(r"action\s*(?:items?|points?)?|actions|to-?dos?|tasks?|next\s+steps|follow[- ]?ups?", re.I)
QUESTION_SECTION = re.compile(r"questions?|discussion|q\s*&\s*a", re.I)
DECISION_SECTION = re.compile(r"decisions?|decided|agreed|outcomes?|resolutions?", re.I)
_SECTION_WORDS = re.compile(r"(?:action\s*(?:items?|points?)?|actions|to-?dos?|tasks|next\s+steps|follow[- ]?ups?|"
                            r"questions?|discussion|q\s*&\s*a|decisions?|notes|summary|outline|agenda|updates?|"
                            r"announcements|results|minutes|misc|other|aob|any other business)", re.I)


def is_section_name(text: str) -> bool:
    """"## Action items", "Discussion:": a heading that names a part of the notes, not their subject."""
    return bool(_SECTION_WORDS.fullmatch(strip_markup(text).strip().rstrip(":").strip()))


_LABEL = re.compile(
    r"^\s*(?:[-*+•]\s+)?(?:\[[ xX]\]\s*)?(?:#{1,6}\s+)?(?P<open>\*\*|__|\*|_)?"
    r"(?P<key>[^\W\d_](?:[^\W\d_]|[ /'’().&-]){0,40}?)\s*"
    r"(?:(?P=open)\s*(?P<c1>:)|(?P<c2>:)\s*(?P=open)|(?P<c3>:)|(?P=open)(?=\s+\S)|\s+(?P<dash>[-–—])\s+|"
    r"(?P<ask>\?)\s+(?=\S))"
    r"\s*(?P<value>.*?)\s*$")
_PAST = re.compile(r"\b(?:[a-z]{2,}ed|took|gave|spoke|wrote|kept|led|went|showed|was|were)\b", re.I)
_PARENTHESES_WITH_LABELS = re.compile(r"\(([^()]*:[^()]*)\)")
_RULE = re.compile(r"^\s*(?:-{3,}|\*{3,}|_{3,}|={3,})\s*$")  # a horizontal rule
# Forms and terse notes: "Presenter ....... Bo Tran", "Presenter = Cy Dahl", "pres. Ana Lima; min. Bo Tran".
_FORM_SEPARATOR = re.compile(r"^(?P<key>\s*[^\W\d_][^\W\d_ ]*(?: [^\W\d_]+){0,3}?)\s*(?:\.{3,}|=)\s*(?=\S)|"
                             r"^(?P<key2>\s*(?:pres|spkr|min|mins|chr))\.\s+(?=\S)", re.I)
_ABBREVIATED = {"pres": "Presenter", "spkr": "Speaker", "min": "Minutes", "mins": "Minutes", "chr": "Chair"}
_STRONG_SEPARATOR = re.compile(r"(\s+[·|•]\s+|\s*;\s+|\t+|\s{3,})")
_PUNCTUATION_BEFORE_LABEL = re.compile(r"([,.]\s+)(?=(?:\*\*|__)?[^\W\d_][^,.:]{0,30}:)")
_EMPTY_VALUE = re.compile(r"^[(\[]?(?:n/?a|none|nobody|-+|tbd|tba|tbc|\?+|—|–)?[)\]]?$", re.I)


@dataclass
class Label:
    key: str  # as written
    value: str
    role: str | None  # canonical role/topic/date key, None for other fields
    colon: bool  # written with a colon (generic fields need one)


@dataclass
class Body:
    fields: list[tuple[str, str, str, str]] = field(default_factory=list)  # (key, value, label, source)
    empty: list[str] = field(default_factory=list)
    dates: list[tuple[str, str]] = field(default_factory=list)  # (text, source): Date labels, table date cells
    headings: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    sections: dict[str, list[str]] = field(default_factory=dict)
    facts: list[Fact] = field(default_factory=list)
    statements: list[RoleStatement] = field(default_factory=list)
    agenda: list[tuple[str, str]] = field(default_factory=list)  # timed slots: (speaker, title), ("", "") if no talk


def _form_label(match: re.Match) -> str:
    """A role written as a form field, as a label; anything else ("n = 40", "Total ..... 12") as written."""
    if match["key2"]:
        return f"{_ABBREVIATED[match['key2'].strip().lower()]}: "
    role = label_role(match["key"], match.string[match.end():], looks_like_name)
    return f"{match['key']}: " if role else match[0]


def read_labels(line: str, is_name, roles_only: bool = False) -> list[Label]:
    """The labels `line` opens with ([] when it is no label line)."""
    split: list[str] = []  # piece, separator, piece, separator, ...
    for k, piece in enumerate(_STRONG_SEPARATOR.split(line.strip())):  # indentation is no separator
        split.extend(_PUNCTUATION_BEFORE_LABEL.split(piece) if k % 2 == 0 else [piece])
    labels: list[Label] = []
    leading_date = False
    for k in range(0, len(split), 2):
        piece, separator = split[k], split[k - 1] if k else ""
        match = _LABEL.match(_FORM_SEPARATOR.sub(_form_label, piece, count=1))
        if match and match["key"].count("(") > match["key"].count(")"):
            match = None  # "Lab meeting (speaker: Ana)": the label is inside the parentheses
        label = None
        if match:
            key, value = match["key"].strip(), strip_markup(match["value"]).lstrip("-–—: ")
            # "Who presented? Ana" asks for a role; "need longer record? ask the agency" does not.
            asked = not match["ask"] or re.match(r"(?:who|whose|what|which)\b", key, re.I)
            role = label_role(key, value, is_name) if asked else None
            colon = bool(match["c1"] or match["c2"] or match["c3"])
            if role or (colon and not roles_only and not labels):
                label = Label(key, value, role, colon)
        if not label and k == 0 and len(split) > 1 and _only_a_date(piece):
            # "**23.10.2025** · Speaker: Jan": the date, then the labels
            label, leading_date = Label("Date", strip_markup(piece), DATE, True), True
        if not label and k == 0 and len(split) > 1 and not find_dates(piece) and subject_of(piece) is None:
            continue  # "Lab meeting. Chair: Ines Ruiz. Presenter: ...": the words before the labels name the meeting
        if label:
            labels.append(label)
        elif labels:  # not a label: part of the previous value ("Attendees: Ana; Bo")
            labels[-1].value = (labels[-1].value + separator + strip_markup(piece)).strip()
        else:
            return []
    if leading_date and not any(label.role not in (None, DATE) for label in labels[1:]):
        return []  # a date before text that labels nothing is a line of the notes
    return labels


def _only_a_date(text: str) -> bool:
    bare = strip_markup(text).strip(" *_#")
    found = find_dates(bare, numeric_without_year=True)
    return len(found) == 1 and not re.sub(r"[\W_]", "", bare[:found[0].start] + bare[found[0].end:])


def _generic_field(label: Label, line: str) -> bool:
    words = label.key.split()
    return (label.colon and 1 <= len(words) <= 4 and len(label.key) <= 30 and not is_content_label(label.key)
            and not _NUMBERED.match(line))


class _Walker:
    def __init__(self, people: People, lowercase_names: bool):
        self.people, self.lowercase = people, lowercase_names
        self.body, self.section, self.paragraph = Body(), "", []

    def is_name(self, value: str) -> bool:
        return looks_like_name(value) or self.people.is_person(value)

    def fact(self, text: str, sentence: str, kind: str, owner=None, deadline=None) -> Fact:
        fact = make_fact(text, sentence, kind, self.section, self.people, self.lowercase, owner, deadline)
        self.body.facts.append(fact)
        return fact

    def flush(self) -> None:
        if self.paragraph:
            # After "Next meeting (20 May): Yuki presents." a sentence in the present ("Hannah takes notes.") is
            # still about that meeting; one in the past ("Lin Wu talked about stomata.") is back to this one.
            ahead = False
            for sentence in split_sentences(" ".join(line.strip() for line in self.paragraph)):
                ahead = opens_on_another_meeting(strip_markup(sentence)) or (ahead and not _PAST.search(sentence))
                if not ahead:
                    self.body.statements += role_statements(strip_markup(sentence), self.people.is_person)
                if find_dates(sentence) and subject_of(sentence) is None:
                    continue  # "Tuesday 6 February 2024, room B.112": when and where, no fact
                self.fact(sentence, sentence, "sentence")
            self.paragraph = []

    def said_by_person(self, label: Label, line: str, in_list: bool) -> bool:
        """A person's name before a colon ("Sven: can you send it?"), or a sentence after one, or a bullet's
        own words ("- loading control: switch to total protein"): a line of the meeting, not a field."""
        if find_owner(strip_markup(re.sub(r"^\s*[-*+•]\s+", "", line)), self.people, in_list, self.lowercase)[0]:
            return True
        if self.people.is_person(label.key) or in_list:
            return True
        words = label.value.split()
        return len(words) >= 3 and label.value.rstrip().endswith((".", "?", "!"))

    def set_section(self, name: str) -> None:
        self.flush()
        self.section = strip_markup(name).strip().rstrip(":").strip()

    def list_kind(self) -> str:
        if re.match(rf"(?:{ACTION_SECTION.pattern})\b", self.section, re.I):
            return "action"
        if DECISION_SECTION.fullmatch(self.section):
            return "decision"
        return "item"

    def add_item(self, content: str, line: str, action: bool) -> None:
        content = strip_markup(content)
        if self.section:
            self.body.sections.setdefault(self.section, []).append(content)
        kind = "action" if action else self.list_kind()
        if kind == "action":
            self.body.actions.append(content)
        elif QUESTION_SECTION.search(self.section):
            self.body.questions.append(content)
        else:
            self.body.items.append(content)
            slot = agenda_slot(line, self.section, self.is_name, self.people.is_person)
            if slot is not None:  # "10:00 – Ana Lima: flume sediment transport"
                self.body.agenda.append(slot)
        self.fact(content, line, kind)

    def add_label(self, label: Label, line: str, lines: list[str], i: int) -> int:
        """Record one label; returns how many following lines it consumed as its value."""
        value, used = label.value, 0
        if _EMPTY_VALUE.match(value) and label.role:
            value, used = _value_below(lines, i + 1, label.role, self.is_name)
        if label.role == DATE:
            if value:
                self.body.dates.append((value, "date field"))
        elif label.role:
            if label.role in PERSON_ROLES:
                value, rest = self.name_then_prose(value)
                if rest:  # "Presenting today: Mei Tanaka. Notes by Priya Venkataraman.": the rest is prose
                    self.paragraph.append(rest)
            if value and not _EMPTY_VALUE.match(value):
                self.body.fields.append((label.role, value, label.key, "label"))
            else:
                self.body.empty.append(label.role)
        elif is_content_label(label.key):
            if not value:
                self.set_section(label.key)
            else:
                kind = "action" if re.match(r"to-?do|action|next\s+steps?|follow[- ]?ups?", label.key, re.I) else "item"
                if kind == "action":
                    self.body.actions.append(value)
                    if self.section:
                        self.body.sections.setdefault(self.section, []).append(value)
                self.fact(f"{label.key}: {value}" if kind == "item" else value, line, kind)
        elif not value:
            if _SECTION_WORDS.fullmatch(label.key):
                self.set_section(label.key)
            else:
                self.body.empty.append(label.key[:1].upper() + label.key[1:])
        else:
            self.body.fields.append((label.key[:1].upper() + label.key[1:], value, label.key, "label"))
        return used

    def name_then_prose(self, value: str) -> tuple[str, str]:
        """A role's value that goes on past the name's sentence: (the name, the sentences after it)."""
        first, *rest = split_sentences(value) or [value]
        if rest and self.is_name(first.rstrip(".")) and len(" ".join(rest).split()) >= 2:
            return first.rstrip("."), " ".join(rest)
        return value, ""

    def walk(self, lines: list[str], title_index: int | None) -> Body:
        tables = {t.start: t for t in find_tables(lines)}
        i = 0
        while i < len(lines):
            line = lines[i]
            if i in tables:
                self.flush()
                self.add_table(tables[i], lines)
                i = tables[i].end
                continue
            i += 1
            if not line.strip() or _RULE.match(line):
                self.flush()
                continue
            heading = _HEADING.match(line) or _BOLD_ONLY.match(line)
            title = i - 1 == title_index
            if heading:
                text = strip_markup(heading[2])
                labels = read_labels(text, self.is_name, roles_only=True)
                if labels:
                    for label in labels:
                        i += self.add_label(label, line, lines, i - 1)
                    continue
                if self.notes_by(text, "heading"):
                    continue
                role = label_role(text.rstrip(":"))
                if role:  # "### Presenter" with the name below it, "## Attendance" with the names
                    value, used = _value_below(lines, i, role, self.is_name, after_heading=True)
                    if value:
                        i += self.add_label(Label(text.rstrip(":"), value, role, True), line, lines, i - 1) + used
                        continue
                if _HEADING.match(line):
                    self.body.headings.append(text)
                self.set_section(text)
                continue
            if self.notes_by(strip_markup(line), "label"):
                continue
            bare = strip_markup(line).strip().rstrip(":").strip()
            if bare and _SECTION_WORDS.fullmatch(bare):
                self.set_section(bare)
                continue
            numbered, bullet = _NUMBERED.match(line), _BULLET.match(line)
            roles = read_labels(numbered[2], self.is_name, roles_only=True) if numbered and not title else []
            if roles:  # an outline: "1. Presenter: Kai Mäkelä", "2. Talk: Snow algae blooms"
                self.flush()
                for label in roles:
                    i += self.add_label(label, line, lines, i - 1)
                continue
            in_list_section = bool(self.list_kind() == "action" or QUESTION_SECTION.search(self.section))
            if not numbered and not (in_list_section and bullet) and not _ACTION_LINE.match(line):
                labels = read_labels(line, self.is_name, roles_only=title)
                generic = bool(labels) and not labels[0].role and not is_content_label(labels[0].key)
                said = generic and self.said_by_person(labels[0], line, bool(bullet))
                if labels and not said and (labels[0].role or _generic_field(labels[0], line)
                                            or is_content_label(labels[0].key)):
                    self.flush()
                    for label in labels:
                        i += self.add_label(label, line, lines, i - 1)
                    continue
                if said and not title:  # "Maria: will send the file" is what Maria does or says, not a field
                    self.flush()
                    text = re.sub(r"^\s*[-*+•]\s+", "", line).strip()
                    if not bullet:  # "Today: Ana on charcoal. Bo took the notes." is prose under a label
                        for sentence in split_sentences(strip_markup(text)):
                            self.body.statements += role_statements(sentence, self.people.is_person)
                    owner = find_owner(strip_markup(text), self.people, self.list_kind() == "action", self.lowercase)[0]
                    self.add_item(text, line.strip(), owner is not None)
                    continue
            if title:  # not a fact, but it may state roles: "mtg 5/14 - luis presenting, priyanka on notes"
                self.body.statements += role_statements(_title_line_text(line), self.people.is_person)
                for inside in _PARENTHESES_WITH_LABELS.findall(line):  # "Lab meeting (speaker: A; notes: B)"
                    for label in read_labels(inside, self.is_name, roles_only=True):
                        self.add_label(label, line, lines, i - 1)
                continue
            action = _ACTION_LINE.match(line)
            if action or numbered or bullet:
                self.flush()
                content = action[1] if action else numbered[2] if numbered else bullet[1]
                self.add_item(content, line.strip(), bool(action))
                continue
            self.paragraph.append(line)
        self.flush()
        return self.body

    def notes_by(self, text: str, how: str) -> bool:
        """A line naming whose notes follow ("## Notes (Carla)", "Minutes (by Bo Tran):"): the recorder,
        and the section its notes are in. False when the line is not one, or names no person."""
        match = _NOTES_BY.match(text.strip())
        if not match or not self.is_name(match["name"].strip()):
            return False
        self.flush()
        self.body.fields.append((RECORDER, match["name"].strip(), text.strip(), how))
        self.set_section(match["section"])
        return True

    def add_table(self, table, lines: list[str]) -> None:
        reading = read_table(table, self.is_name)
        for key, value, label in reading.fields:
            self.body.fields.append((key, value, label, "table"))
        self.body.dates += [(text, "table") for text in reading.dates]
        self.body.agenda += reading.talks
        for task, owner, due, row in reading.actions:
            owner_name = self.people.expand(owner) if owner else None
            self.body.actions.append(task)
            if self.section:
                self.body.sections.setdefault(self.section, []).append(task)
            self.fact(task, row, "action", owner_name, due)
        for row in reading.rows:
            self.fact(row, row, "item")


def _title_line_text(line: str) -> str:
    return re.sub(r"(\*\*|__)", "", re.sub(r"^\s{0,3}#{1,6}\s+|\s+#+\s*$", "", line)).strip()


def _names(text: str, is_name) -> bool:
    """"Ann Lee, Bob Stone and Dev Patel (remote)": a line that only lists people."""
    people = [re.sub(r"\([^)]*\)", "", person).strip() for person in split_people(text)]
    return len(people) >= 2 and all(is_name(person) for person in people)


def _value_below(lines: list[str], start: int, role: str, is_name, after_heading: bool = False) -> tuple[str, int]:
    """A label whose value is on the lines below it: "Attendees:" then "- Ana" "- Bo"."""
    j = start
    while j < len(lines) and not lines[j].strip():
        j += 1
    values = []
    k = j
    while k < len(lines) and _BULLET.match(lines[k]) and role in (ATTENDEES, APOLOGIES, *PERSON_ROLES):
        item = strip_markup(_BULLET.match(lines[k])[1])
        if not is_name(item) or read_labels(lines[k], is_name):
            break
        values.append(item)
        k += 1
    if values:
        return ", ".join(values), k - start
    listed = j < len(lines) and bool(_NUMBERED.match(lines[j]) or _BULLET.match(lines[j]))
    if j < len(lines) and (after_heading and not listed or j == start and not after_heading) \
            and not read_labels(lines[j], is_name) \
            and not _HEADING.match(lines[j]) and not is_table_line(lines[j]):  # a table is read as one
        candidate = strip_markup(lines[j]).strip()
        if (role == TOPIC and 0 < len(candidate.split()) <= 15) or (role in PERSON_ROLES and is_name(candidate)) \
                or (role == DATE and find_dates(candidate)) or (role in (ATTENDEES, APOLOGIES) and _names(candidate, is_name)):
            return candidate, j - start + 1
    return "", 0


def walk(lines: list[str], title_index: int | None, people: People, lowercase_names: bool = False) -> Body:
    return _Walker(people, lowercase_names).walk(lines, title_index)
