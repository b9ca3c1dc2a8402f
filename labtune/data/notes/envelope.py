"""What a note's file says outside its body: the headers of an email pasted or saved as the note, or YAML
front matter; the body is left to the walker (`lines.py`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from labtune.data.notes.frontmatter import split_front_matter
from labtune.data.notes.labels import DATE, RECORDER, TOPIC, label_role
from labtune.data.notes.mail import Email, parse_pasted_email
from labtune.data.notes.titles import subject_of

_IGNORED_FRONT_MATTER = {"tags", "layout", "draft", "aliases", "slug", "id", "uid", "created", "modified", "updated",
                         "categories", "type", "permalink", "lang"}


@dataclass
class Envelope:
    """What a file says outside its body: email headers or YAML front matter."""

    body: str
    fields: list[tuple[str, str, str, str]] = field(default_factory=list)  # (key, value, label, source)
    dates: list[tuple[str, str]] = field(default_factory=list)
    title: str | None = None
    email: Email | None = None
    text: str = ""  # what the note's text keeps of it
    problems: list[str] = field(default_factory=list)


def read_envelope(text: str, is_name) -> Envelope:
    mail = parse_pasted_email(text)
    if mail:
        env = Envelope(mail.body, title=mail.subject, email=mail, text=mail.header_text)
        if mail.subject:
            env.dates.append((mail.subject, "email subject"))
        return env
    front, body, problem = split_front_matter(text)
    env = Envelope(body, text=text[:len(text) - len(body)].rstrip("\n"), problems=[problem] if problem else [])
    for key, value in front.items():
        role = label_role(key, value, is_name)
        if role is None and key.casefold() in ("author", "authors") and is_name(value):
            role = RECORDER  # who wrote the notes up, as an email's sender is
        if role == TOPIC:
            value = subject_of(value) or value  # title: "Lab meeting: Stream nitrate pulses" -> the subject
        if role == DATE:
            env.dates.append((value, "front matter"))
        elif role:
            env.fields.append((role, value, key, "front matter"))
        elif key.lower() not in _IGNORED_FRONT_MATTER:
            env.fields.append((key[:1].upper() + key[1:], value, key, "front matter"))
    env.title = next((value for key, value, _, _ in env.fields if key == TOPIC), None)
    return env
