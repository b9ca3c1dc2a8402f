"""Which role or topic a label names: "Presenter", "Presented by", "Talk given by", "Minutes taken by",
"Note-taker", "Scribe", "pres.", "Chaired by", "Agenda item", "Title of talk", "Apologies", ...

A label is read like an English noun phrase, not looked up in a list: its head word (the last word,
"X of Y" -> X, "X by" -> X's verb or noun) is reduced to a stem ("presenting", "presenter",
"presentation" -> present) and the stem names the role. Modifiers that point at another meeting
("Next presenter", "Topic for next week") make it no role of this meeting. A few heads ("Talk",
"Minutes", "Notes") name the person or the subject depending on the value: a person's name or not.
"""

from __future__ import annotations

import re
import unicodedata

PRESENTER, RECORDER, CHAIR, TOPIC = "Presenter", "Recorder", "Chair", "Topic"
ATTENDEES, APOLOGIES, DATE = "Attendees", "Apologies", "Date"
PERSON_ROLES = (PRESENTER, RECORDER, CHAIR)

# stem -> role. A stem matches a head word that starts with it ("record" ~ recorder, recorded, recording).
_HEAD_STEMS = [
    ("present", PRESENTER), ("speak", PRESENTER), ("spkr", PRESENTER), ("lectur", PRESENTER),
    ("record", RECORDER), ("scrib", RECORDER), ("secretar", RECORDER), ("notetak", RECORDER),
    ("minutetak", RECORDER), ("taker", RECORDER), ("writer", RECORDER), ("rapporteur", RECORDER),
    ("chair", CHAIR), ("facilitat", CHAIR), ("moderat", CHAIR), ("host", CHAIR), ("conven", CHAIR),
    ("topic", TOPIC), ("subject", TOPIC), ("subj", TOPIC), ("title", TOPIC), ("theme", TOPIC),
    ("agenda", TOPIC), ("focus", TOPIC),
    ("attend", ATTENDEES), ("participant", ATTENDEES),
    ("apolog", APOLOGIES), ("absen", APOLOGIES), ("regret", APOLOGIES), ("excused", APOLOGIES),
]
# Whole-word heads: abbreviations and words whose stem would catch too much.
_HEAD_WORDS = {
    "pres": PRESENTER, "presenter": PRESENTER, "spk": PRESENTER, "by": None,
    "discussant": PRESENTER, "discussants": PRESENTER,  # a journal club's paper is presented by its discussant
    # Labels of labs that keep their minutes in German, Dutch, the Nordic or Romance languages.
    "referent": PRESENTER, "referentin": PRESENTER, "vortragende": PRESENTER, "vortragender": PRESENTER,
    "sprecher": PRESENTER, "sprecherin": PRESENTER, "ponente": PRESENTER, "relatore": PRESENTER,
    "relatrice": PRESENTER, "intervenant": PRESENTER, "intervenante": PRESENTER, "spreker": PRESENTER,
    "protokollant": RECORDER, "protokollantin": RECORDER, "schriftfuhrer": RECORDER, "notulist": RECORDER,
    "secretario": RECORDER, "secretaria": RECORDER,
    "thema": TOPIC, "tema": TOPIC, "sujet": TOPIC, "onderwerp": TOPIC, "titel": TOPIC, "titre": TOPIC,
    "titulo": TOPIC, "amne": TOPIC,
    "datum": DATE, "fecha": DATE,
    "present": ATTENDEES, "who": None,  # "Present: A, B" lists who came; "Who" alone is a table header
    "re": TOPIC, "about": TOPIC, "date": DATE, "when": DATE,
    "led": CHAIR,
}
# Heads whose role depends on the value: a person's name -> the first role, anything else -> the second.
_VALUE_DEPENDENT = {
    "talk": (PRESENTER, TOPIC), "presentation": (PRESENTER, TOPIC), "seminar": (PRESENTER, TOPIC),
    "minutes": (RECORDER, None), "minute": (RECORDER, None), "notes": (RECORDER, None), "note": (RECORDER, None),
    "item": (None, TOPIC), "recording": (RECORDER, None), "host": (CHAIR, None),
    "protocol": (RECORDER, None), "protokoll": (RECORDER, None),  # minutes, in German and Nordic labs
    "acta": (RECORDER, None), "verbale": (RECORDER, None), "notulen": (RECORDER, None),
}
# "<noun> by" names the person who did the noun: "Talk by", "Notes by", "Minutes taken by", "Written by".
_BY_NOUNS = {"talk": PRESENTER, "presentation": PRESENTER, "seminar": PRESENTER, "update": PRESENTER,
             "notes": RECORDER, "note": RECORDER, "minutes": RECORDER, "minute": RECORDER, "written": RECORDER,
             "taken": RECORDER, "kept": RECORDER, "given": PRESENTER, "led": CHAIR, "run": CHAIR}
# "Speaker name", "Presenting today": the head before them names the role.
_TRANSPARENT_HEADS = {"name", "names", "person", "people", "who", "list", "today", "tonight"}
_OTHER_MEETING = {"next", "previous", "prev", "last", "future", "upcoming", "following", "prior", "past"}
# Labels that introduce content, not a field: "Decision: ...", "TODO: ...", "Note: ...".
CONTENT_LABELS = {"todo", "to do", "action", "actions", "action item", "action items", "ai", "decision",
                  "decisions", "decided", "agreed", "note", "nb", "n b", "ps", "p s", "question", "questions",
                  "q", "a", "answer", "proposal", "idea", "result", "results", "conclusion", "conclusions",
                  "summary", "update", "http", "https", "next step", "next steps", "follow up", "follow ups",
                  "followup", "followups", "outline", "discussion", "plan", "step", "fyi", "reminder", "important",
                  "warning", "edit"}


def _words(label: str) -> list[str]:
    label = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode().lower()
    return re.findall(r"[a-z]+", label.replace("(s)", "s").replace("-", "").replace("'s", ""))


def _role_of_word(word: str) -> str | None:
    if word in _HEAD_WORDS:
        return _HEAD_WORDS[word]
    singular = word[:-1] if word.endswith("s") and len(word) > 4 else word
    for stem, role in _HEAD_STEMS:
        if singular.startswith(stem) or word.startswith(stem):
            return role
    return None


def label_role(label: str, value: str = "", is_name=None) -> str | None:
    """The canonical key a label names ("Presenter", "Recorder", "Chair", "Topic", "Attendees",
    "Apologies", "Date"), or None when it names none of them. `value` and `is_name(value)` decide the
    heads that can name a person or a subject ("Talk: Ana Ruiz" vs "Talk: soil fungi")."""
    words = _words(label)
    if label.count("(") > label.count(")"):  # "Lab meeting (speaker": labels inside a title's parentheses
        return None
    if not words or len(words) > 6 or (_OTHER_MEETING | {"due", "deadline"}) & set(words):
        return None
    if " ".join(words) in CONTENT_LABELS:
        return None
    if words[-2:] in (["discussion", "lead"], ["discussion", "leader"]):  # a journal club's presenter
        return PRESENTER
    if words[-1] == "by":  # "<noun|participle> by": the person who did it
        for word in reversed(words[:-1]):
            role = _BY_NOUNS.get(word) or _role_of_word(word)
            if role in PERSON_ROLES:
                return role
        return None
    if "of" in words:  # "Title of talk", "Name of presenter": the head is before "of" unless transparent
        head, tail = words[:words.index("of")], words[words.index("of") + 1:]
        words = tail if head and head[-1] in _TRANSPARENT_HEADS else head
        if not words:
            return None
    while len(words) > 1 and words[-1] in _TRANSPARENT_HEADS:
        words = words[:-1]
    head = words[-1]
    if head in ("taker", "takers", "keeper", "writer"):  # "Note taker", "Minute keeper"
        return RECORDER
    if head in _VALUE_DEPENDENT:
        person_role, other_role = _VALUE_DEPENDENT[head]
        if head == "item":
            return TOPIC if "agenda" in words else None
        named = (is_name(value) if is_name else looks_like_name(value)) or split_name_and_topic(value, is_name)
        return person_role if named and person_role else other_role
    return _role_of_word(head)


_PARTICLES = {"van", "von", "de", "der", "den", "da", "di", "del", "della", "dos", "das", "du", "la", "le",
              "bin", "ibn", "al", "el", "ter", "ten", "st", "mc", "o"}
_NOT_NAMES = {"the", "a", "an", "and", "or", "of", "on", "in", "at", "to", "for", "with", "from", "by", "is",
              "was", "were", "will", "see", "tbd", "tba", "none", "nobody", "n/a", "na", "everyone", "all",
              "team", "group", "lab", "meeting", "no", "yes", "not", "this", "that", "we", "our", "today",
              "next", "week", "slides", "update", "results", "data", "plan", "plans", "discussion", "new"}
_NAME_TOKEN = re.compile(r"^[^\W\d_][\w'’.\-]*$")


def looks_like_name(value: str) -> bool:
    """A person's name or a short list of them: 1-4 words each, letters only, not common words.

    Lowercase is allowed (terse notes write "siobhan"); a title-case phrase of common words is not a name
    only where one of its words is in the small common-word list, so "Soil fungi" passes as a topic by
    the caller's own context rather than here.
    """
    value = re.sub(r"\([^)]*\)", " ", value).strip(" .;")
    if not value or len(value) > 80:
        return False
    people = [p for p in re.split(r"\s*(?:,|;|&|/|\band\b)\s*", value) if p.strip()]
    if not people:
        return False
    for person in people:
        tokens = person.split()
        if not 1 <= len(tokens) <= 4:
            return False
        for token in tokens:
            bare = token.strip(".")
            if not _NAME_TOKEN.match(token) or bare.lower() in _NOT_NAMES:
                return False
            if bare.islower() and bare not in _PARTICLES and len(tokens) > 1 and not person.islower():
                return False  # "Root exudates": a capital then lowercase words is a phrase, not a name
        if person.islower() and len([t for t in tokens if t not in _PARTICLES]) > 2:
            return False  # "seed bank trial": terse notes write names lowercase, but not three-word ones
    return True


_NAME_THEN_TOPIC = re.compile(r"\s*(?:[–—:,]|\s-\s|\bon\b|\babout\b)\s*", re.I)
_NAME_THEN_BRACKETED = re.compile(r"(?P<name>[^()]{2,60}?)\s*\((?P<topic>[^()]+)\)")
# Brackets after a name that say how or whether the person takes part, not what the talk is about.
_NOT_A_TALK = re.compile(r"^(?:via|over|from|in|at|on\s+(?:zoom|teams|leave)|remote\w*|online|zoom|teams|tb[cd]|to\s+be|"
                         r"absent|away|sick|moved|postponed|rescheduled|replacing|instead|standing\s+in|joining|"
                         r"for|with)\b", re.I)


def split_name_and_topic(value: str, is_name=None) -> tuple[str, str] | None:
    """("Ana Lima", "qPCR primers") for "Ana Lima on qPCR primers" or "Ana Lima – qPCR primers": a talk
    label's value that names the speaker and then the subject. None when the value is no such pair."""
    named = is_name or looks_like_name
    bracketed = _NAME_THEN_BRACKETED.fullmatch(value.strip())  # "Rosa Delgado (nitrate leaching from cover crops)"
    if bracketed and named(bracketed["name"]) and len(re.findall(r"[^\W\d_]{3,}", bracketed["topic"])) >= 2 \
            and not _DESCRIBES_PERSON.match(bracketed["topic"]) and not _NOT_A_TALK.match(bracketed["topic"]):
        return bracketed["name"], bracketed["topic"].strip(" .")
    if named(value):
        return None
    for match in _NAME_THEN_TOPIC.finditer(value):
        name, topic = value[:match.start()].strip(), value[match.end():].strip(" .")
        if name and len(name.split()) <= 4 and named(name) and re.search(r"[^\W\d_]{3,}", topic):
            described = re.fullmatch(r"\s*[,–—-]\s*", match[0]) and len(topic.split()) <= 5 \
                and _DESCRIBES_PERSON.match(topic)  # "Ahmed Karimi, PhD candidate": who, not what
            return name, "" if described else topic
    return None


# Who the speaker is, not what the talk is about: "PhD candidate", "visiting from Lisbon", "University of Lisbon".
_DESCRIBES_PERSON = re.compile(
    r"^(?:an?\s+|our\s+)?"
    r"(?:(?:visiting|guest|new|former|first-year|second-year|final-year|\d(?:st|nd|rd|th)[- ]year)\s+)?"
    r"(?:ph\.?\s?d\.?|msc|m\.sc\.?|bsc|b\.sc\.?|master'?s|bachelor'?s|doctoral|undergrad\w*|grad(?:uate)?|postdoc\w*|"
    r"post-doc\w*|research(?:er)?|student|candidate|fellow|professor|prof\.?|lecturer|technician|intern|pi|"
    r"lab\s+manager|visitor|alumn\w*|speaker)\b|"
    r"^(?:visiting\s+)?from\s+[A-Z]|^(?:the\s+)?(?:university|univ\.|dept\.?|department|institute|school|college|"
    r"centre|center|faculty)\b", re.I)


_TOPIC_THEN_NAME = re.compile(r"^(?P<topic>.+?)\s*(?:\((?P<paren>[^()]+)\)|\s[–—-]\s*(?P<dash>[^–—-]+)|,?\s+"
                              r"(?:presented\s+|given\s+)?by\s+(?P<by>[^,;]+))\s*$", re.I)


def split_topic_and_name(value: str, is_person, talk: bool = False) -> tuple[str, str] | None:
    """("Microbes in ice", "Ana Lima") for "Microbes in ice (Ana Lima)", "... – Ana Lima" or "... by Ana Lima":
    a topic that names its speaker. After a dash or in parentheses only a person the folder knows counts
    ("Soil pH – Part II" names nobody); after "by", or in a talk's label ("Talk: ... – Ana Lima"), any name."""
    match = _TOPIC_THEN_NAME.match(value.strip())
    if not match or not re.search(r"[^\W\d_]{3,}", match["topic"]):
        return None
    name = (match["paren"] or match["dash"] or match["by"]).strip(" .")
    capitalised = all(word[:1].isupper() for word in name.split())  # "by lake cyanobacteria" names nobody
    if is_person(name) or ((match["by"] or talk) and capitalised and looks_like_name(name)):
        return match["topic"].strip(" ,:–—-"), name
    return None


def canonical_key(label: str, value: str = "", is_name=None) -> str:
    """The role or topic key a label names, else the label itself tidied ("location" -> "Location")."""
    role = label_role(label, value, is_name)
    if role:
        return role
    label = " ".join(re.sub(r"(\*\*|__)", "", label).split()).strip(" :")
    return label[:1].upper() + label[1:]


def is_content_label(label: str) -> bool:
    """"Decision:", "TODO:", "Note:" and also "TODO Noor:", "Action 3:": they introduce content, not a field."""
    words = _words(label)
    return " ".join(words) in CONTENT_LABELS or bool(words and words[0] in ("todo", "action", "decision", "fyi"))
