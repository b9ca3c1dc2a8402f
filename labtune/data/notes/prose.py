"""Roles stated in sentences: "Maria gave an update on the diatom counts", "the talk was by Tom",
"Ana kept the minutes", "notes by Ravi", "Wanjiru chaired". The name is the one the sentence writes
next to the role words (capitalised, or a person the folder knows when notes are written lowercase);
nothing is guessed. Sentences about another meeting ("next week Farid presents") state no role here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from labtune.data.notes.labels import CHAIR, PRESENTER, RECORDER
from labtune.data.notes.people import NOT_PEOPLE, fold

_DET = r"(?:a|an|the|his|her|their|our|a short|a brief|an informal|a quick|a long)"
_TALK_NOUN = r"(?:talk|presentation|update|overview|seminar|lecture|report|summary|journal club|demo|tutorial)"
_OBJECT = r"(?P<topic>[^.;!?]{3,160})"
_TALK_VERB = r"(?:gave|gives|delivered)"
_BY = r"(?:was\s+|were\s+|is\s+|are\s+)?"
_TODAY = r"(?:(?:today|this\s+week)\s+)?"  # "presenting today on X", "talked this week about X"


def _p(pattern: str) -> re.Pattern:
    return re.compile(pattern, re.I)


# (role, pattern, where the name is). "before": the name ends where the pattern starts; "after": it starts at its end;
# "clause": the name is all of its clause before the pattern.
_STATEMENTS = [
    (PRESENTER, _p(rf"\b(?:{_TALK_VERB}|presented)\s+{_DET}\s+{_TALK_NOUN}(?:\s+(?:this\s+week|today))?,?\s+"
                   rf"(?:on|about|of)\s+{_OBJECT}"), "before"),
    (PRESENTER, _p(rf"\b(?:presented|presents|talked|talks|spoke|speaks|reported|reports)\s+{_TODAY}(?:on|about)\s+"
                   rf"{_OBJECT}"), "before"),
    (PRESENTER, _p(rf"\b(?:walked|walks|took|takes|led|leads)\s+us\s+through\s+{_OBJECT}"), "before"),
    (PRESENTER, _p(rf"\b(?:went|goes)\s+(?:through|over)\s+{_OBJECT}"), "before"),
    (PRESENTER, _p(rf"\b(?:led|leads)\s+(?:the|a|our)\s+discussion\s+(?:of|on|about)\s+{_OBJECT}"), "before"),
    (PRESENTER, _p(rf"\b(?:presented|presents)\s+(?!by\b){_OBJECT}"), "before"),
    (PRESENTER, _p(rf"\b(?:showed|shows|shared|shares)\s+(?:us\s+)?(?!that\b|how\b|why\b|us\b){_OBJECT}"), "before"),
    (PRESENTER, _p(rf"\b{_TALK_VERB}\s+{_DET}\s+{_TALK_NOUN}\b"), "before"),
    (PRESENTER, _p(rf"['’]s?\s+{_TALK_NOUN}\s+(?:was\s+|is\s+)?(?:on|about)\s+{_OBJECT}"), "before"),
    (PRESENTER, _p(rf"\b(?:was|is|am)\s+presenting\s+(?!on\b|about\b|today\b|this\b|next\b|by\b){_OBJECT}"), "before"),
    (PRESENTER, _p(r"\b(?:was|is)\s+(?:presenting|speaking|(?:the|our)\s+(?:speaker|presenter))\b"), "before"),
    (PRESENTER, _p(r"\b(?:presented|presents|spoke|gave\s+the\s+talk)\s*(?:[.;!]|$)"), "before"),
    (PRESENTER, _p(rf"\b(?:presenting|talking|speaking)\s+{_TODAY}(?:on|about)\s+{_OBJECT}"), "before"),
    (PRESENTER, _p(rf"\b{_TALK_NOUN}\s+(?:today\s+|this\s+week\s+)?{_BY}(?:given\s+|presented\s+|delivered\s+)?"
                   r"(?:by|from)\s+"), "after"),
    (PRESENTER, _p(r"\b(?:presented|given)\s+by\s+"), "after"),
    (PRESENTER, _p(r"^\W*(?:today|this\s+week|tonight)\s*[:,–—-]\s*"
                   r"(?=[^\W\d_]+(?:\s+[^\W\d_]+){0,2}\s+(?:on|about)\s)"), "after"),  # "Today: Ana on charcoal."
    (PRESENTER, _p(r"(?:\b(?:the|our|today's|this\s+week's)\s+|^)(?:speaker|presenter)\s+(?:was|is)\s+"), "after"),
    (PRESENTER, _p(r"\bpresenting\b(?=\s*(?:[,;.)]|$|\s+(?:today|this\s+week)\b))"), "before"),  # "ana presenting"
    (RECORDER, _p(r"\b(?:kept|keeps|took|takes|wrote|writes|recorded|records|is\s+taking|was\s+taking)\s+(?:the\s+)?"
                  r"(?:minutes|notes)\b"), "before"),
    (RECORDER, _p(r"\b(?:was|is)\s+(?:the\s+)?(?:scribe|note[- ]?taker|minute[- ]?taker|recorder|secretary)\b"),
     "before"),
    (RECORDER, _p(r"\brecorded\s*(?:[.;!]|$)"), "before"),
    (RECORDER, _p(r"\b(?:scribes|scribed|scribing|minuted)\b"), "before"),  # "Mei Tanaka scribes", "ines scribing"
    (RECORDER, _p(r"\b(?:on|doing|taking)\s+(?:the\s+)?(?:notes|minutes)\b"), "before"),  # "bo on notes"
    (RECORDER, _p(r"\b(?:will|'ll)\s+(?:take|do|keep|write)\s+(?:the\s+)?(?:notes|minutes)\b"), "before"),
    (RECORDER, _p(r"\s(?:minutes|notes)\s*(?=[,;.)]|$)"), "clause"),  # "..., aiko minutes": the name is the clause
    (RECORDER, _p(rf"\b(?:minutes|notes)\s+{_BY}(?:taken\s+|kept\s+|written\s+|recorded\s+)?by\s+"), "after"),
    (RECORDER, _p(r"(?:^|[.;]\s+)(?:recorded|minuted)\s+by\s+"), "after"),  # "Recorded by Omar Aziz."
    (RECORDER, _p(r"(?:\b(?:the|our|today's)\s+|^)(?:scribe|note[- ]?taker|minute[- ]?taker|recorder)\s+(?:was|is)\s+"),
     "after"),
    (CHAIR, _p(r"\b(?:chaired|chairs|facilitated|moderated|hosted)\b(?!\s+by)"), "before"),
    (CHAIR, _p(r"\b(?:was|is)\s+(?:in\s+the\s+chair|chairing|the\s+chair)\b"), "before"),
    (CHAIR, _p(r"\b(?:chaired|facilitated|moderated|hosted)\s+by\s+"), "after"),
]
_OTHER_MEETING = re.compile(r"\b(?:next|will|won't|shall|upcoming|tomorrow|future|later|going\s+to|plans?\s+to|"
                            r"planned\s+to|wk)\b|'ll\b", re.I)
_OPENS_ON_ANOTHER = re.compile(r"^\W*(?:for\s+)?(?:the\s+)?(?:next|upcoming|following)\b", re.I)
_AFTER_OTHER = re.compile(r"^\W*(?:next|tomorrow|later|in\s+two\s+weeks)\b", re.I)
_TOPIC_STOP = re.compile(r",\s+(?:and|but|which|where|while|so|then|after|before|with)\b|"
                         r",\s+(?:\w+\s+){1,2}(?:scrib\w*|present\w*|chair\w*|on\s+notes)\b|\s+[–—]\s+|\s\(|:\s|"
                         r"\s+(?:was|were|is|are|went|got|had|has|have)\b|"
                         r",\s+(?:and\s+)?(?:[A-Z][a-z]+\s+)?(?:asked|said|noted|thinks|suggested)\b")
_TOPIC_AFTER_NAME = re.compile(rf"^\s*,?\s*(?:who\s+(?:talked|talks|spoke|speaks|presented|presents|reported|reports)"
                               rf"\s+(?:on\s+|about\s+)?|(?:on|about|titled|entitled|called)\s+){_OBJECT}", re.I)
_WHEN_FIRST = re.compile(r"^(?:today|this\s+(?:week|morning|afternoon)|yesterday|again)\s+(?:(?:on|about)\s+)?", re.I)
_ABBREVIATIONS = r"(?:e\.g|i\.e|etc|vs|approx|ca|cf|dr|prof|mr|ms|mrs|st|fig|no|al|incl|resp|min|max|dept|univ)"


_LONGEST_SENTENCE = 1000


@dataclass
class RoleStatement:
    role: str
    name: str
    topic: str | None
    sentence: str


def split_sentences(paragraph: str) -> list[str]:
    """Sentences of a paragraph; abbreviations (e.g., Dr., approx.) and initials ("Farid E.") do not end one."""
    text = " ".join(paragraph.split())
    out, start = [], 0
    for match in re.finditer(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9@])", text):
        before = text[start:match.start()]
        last_word = before.rsplit(None, 1)[-1] if before.split() else ""
        if re.fullmatch(rf"{_ABBREVIATIONS}\.|[A-Z]\.", last_word, re.I):
            continue
        out.append(text[start:match.start()].strip())
        start = match.end()
    out.append(text[start:].strip())
    return [s for s in out if s]


def _is_name_word(word: str, is_person) -> bool:
    bare = word.strip(".,:;'’\"()").removesuffix("'s").removesuffix("’s").rstrip("'’")
    if not bare or fold(bare) in NOT_PEOPLE or any(ch.isdigit() for ch in bare):
        return False
    return bare[:1].isupper() or bool(is_person and is_person(bare))


def _name_before(text: str, end: int, is_person) -> str | None:
    words = text[max(0, end - 80):end].split()
    if words and re.fullmatch(r"[a-z]+ly|also|then|again|\([^()]*\)", words[-1]):
        words = words[:-1]  # "Amara kindly chaired", "Lena Braun (remote) showed"
    name: list[str] = []
    for word in reversed(words):
        if _is_name_word(word, is_person) and len(name) < 3:
            name.insert(0, word)
        elif name and word.lower() in ("van", "von", "de", "der", "da", "di", "del", "la", "le") and len(name) < 3:
            name.insert(0, word)
        else:
            break
    return _tidy(" ".join(name)) if name else None


def _name_after(text: str, start: int, is_person) -> str | None:
    name: list[str] = []
    words = text[start:].split()
    while words and re.fullmatch(r"(?:dr|prof|mr|ms|mrs)\.?", words[0], re.I):  # "Dr. Ada Quill" -> Ada Quill
        words = words[1:]
    for word in words:
        if _is_name_word(word, is_person) and len(name) < 3:
            name.append(word)
            if re.search(r"[.,;:!?)]$", word) and not re.fullmatch(r"[A-Z]\.", word):
                break
        else:
            break
    return _tidy(" ".join(name)) if name else None


def _tidy(name: str) -> str:
    return re.sub(r"(?:['’]s?|[.,;:!?)])+$", "", name.strip().lstrip("(\"“[")).strip()


_WORK_ON = re.compile(r"^(?:his|her|their|our|the|some|new|recent|latest|first)\s+(?:\w+\s+)?(?:work|results|data|"
                      r"progress|project|research|findings|update|analysis)\s+(?:on|about|of|from)\s+", re.I)


def _topic(match: re.Match) -> str | None:
    topic = match.groupdict().get("topic")
    if not topic:
        return None
    stop = _TOPIC_STOP.search(topic)
    topic = (topic[:stop.start()] if stop else topic).strip(" ,:")
    topic = _WORK_ON.sub("", topic)  # "presented her work on X": the subject is X
    topic = _WHEN_FIRST.sub("", topic)  # "presented today on X"
    topic = re.sub(r"\s+(?:today|this\s+(?:week|morning|afternoon))$", "", topic, flags=re.I)  # "presenting X today"
    if re.fullmatch(r"[\"“'‘][^\"“”'‘’]+[\"”'’]", topic):  # a paper's title in quotes
        topic = topic[1:-1]
    words = topic.split()
    return " ".join(words[:16]) if len(words) >= 1 else None


def opens_on_another_meeting(sentence: str) -> bool:
    """"Next meeting (20 May): Yuki presents.", "Next week: ...": what follows is about that meeting."""
    return bool(_OPENS_ON_ANOTHER.match(sentence))


def role_statements(sentence: str, is_person=None) -> list[RoleStatement]:
    """Every role the sentence states for this meeting, with the name it writes and, for a talk, its subject."""
    found: list[RoleStatement] = []
    spans: dict[str, tuple[int, int]] = {}
    if len(sentence) > _LONGEST_SENTENCE or opens_on_another_meeting(sentence):
        return found  # a run-on line (a pasted log, a table flattened), or a sentence about the next meeting
    for role, pattern, side in _STATEMENTS:
        for match in pattern.finditer(sentence):
            same = next((s for s in found if s.role == role), None)
            if same is not None:
                # "Yuki is presenting today on X": a pattern that found her without the talk overlaps one with it.
                if role == PRESENTER and same.topic is None and match.start() < spans[PRESENTER][1]:
                    same.topic = _topic(match)
                continue
            clause_start = max(sentence.rfind(";", 0, match.start()), sentence.rfind(",", 0, match.start()))
            # The words before the role in its clause: "next wk farid presents" is about another meeting.
            left = sentence[max(clause_start + 1, match.start() - 40):match.start()]
            if side == "clause":
                name = _name_before(sentence, match.start(), is_person)
                name = name if name and left.strip().casefold() == name.casefold() else None
            elif side == "before":
                name = _name_before(sentence, match.start(), is_person)
            else:
                name = _name_after(sentence, match.end(), is_person)
            if not name or _OTHER_MEETING.search(left) or _AFTER_OTHER.search(sentence[match.end():match.end() + 20]):
                continue
            topic = _topic(match) if role == PRESENTER else None
            if role == PRESENTER and side == "after" and topic is None:  # "given by Elif Demir, on organoids"
                after = sentence[match.end():]
                rest = _TOPIC_AFTER_NAME.match(after[after.find(name.split()[-1]) + len(name.split()[-1]):])
                topic = _topic(rest) if rest else None
            found.append(RoleStatement(role, name, topic, sentence))
            spans[role] = match.span()
    for statement in found:  # "tomás presenting on flood models, aiko minutes": the talk ends at the next role
        for other in found:
            cut = re.search(rf",\s*{re.escape(other.name)}\b", statement.topic or "", re.I)
            if cut and other is not statement:
                statement.topic = statement.topic[:cut.start()].strip() or None
    return found
