"""What a title or an email subject says about the meeting's subject, once the words that only say
"these are the notes of a meeting on some date" are gone.

"Re: Lab meeting minutes 9 Jan – rhizosphere pH mapping" -> "rhizosphere pH mapping";
"Notes from the lab meeting on January 16th, 2024" -> None; "# Biocrust recovery after trampling" -> itself.
"""

from __future__ import annotations

import re

from labtune.data.notes.dates import MONTHS, WEEKDAYS, find_dates

# Words that name the document or the occasion, never its subject.
_MEETING_WORDS = {
    "lab", "labs", "group", "team", "weekly", "biweekly", "fortnightly", "monthly", "meeting", "meetings", "mtg",
    "mtgs", "meet", "lm", "gm", "notes", "note", "minutes", "mins", "summary", "recap", "agenda", "session", "call",
    "sync",
    "standup", "huddle", "catchup", "catch-up", "our", "today's", "todays", "this", "week's", "weeks", "week",
    "held", "re", "fw", "fwd", "aw", "sv", "wg", "tr", "draft", "final", "updated", "copy", "zoom", "teams",
    "from", "of", "the", "for", "on", "at", "in", "a", "an", "and", "with", "to", "room", "st", "nd", "rd", "th",
    "morning", "afternoon", "today", "yesterday", "yesterday's", "yesterdays", "last", "untitled", "new",
    "document", "doc", "template",
}
_DATE_WORDS = set(MONTHS) | {m[:3] for m in MONTHS} | {"sept"} | set(WEEKDAYS) | {w[:3] for w in WEEKDAYS} | {
    "tues", "thur", "thurs", "spring", "summer", "autumn", "fall", "winter", "q1", "q2", "q3", "q4"}
_SEPARATORS = re.compile(r"\s*(?:[–—|:;()\[\]]|\s-\s|,|\.\s)\s*")
_EDGE_STOPWORDS = {"the", "a", "an", "of", "on", "about", "for", "and", "to", "in", "at", "from", "with", "by", "re"}


def _is_filler(word: str) -> bool:
    bare = word.lower().strip(".,'’#*_")
    if re.fullmatch(r"[a-z]+(?:[-_][a-z]+)+", bare):  # a channel's or file's name: "#lab-meeting", "group_meeting"
        return all(_is_filler(part) for part in re.split(r"[-_]", bare))
    return (not bare or bare in _MEETING_WORDS or bare in _DATE_WORDS
            or bool(re.fullmatch(r"[\d/.\-]+(?:st|nd|rd|th)?|'\d\d", bare)))


def _numbers_the_subject(words: list[str]) -> bool:
    """A last word of one or two digits after a word of the subject numbers it ("Directed evolution
    round 4", "Aim 2"); after meeting words ("Lab meeting 12") it numbers the meeting."""
    return (len(words) > 1 and bool(re.fullmatch(r"\d{1,2}", words[-1]))
            and not _is_filler(words[-2]) and words[-2].lower() not in _EDGE_STOPWORDS)


def subject_of(title: str) -> str | None:
    """The subject a title or subject line names, or None when it only names a meeting and a date."""
    text = re.sub(r"(\*\*|__|`)", "", title).strip().lstrip("#").strip()
    text = re.sub(r"\([^()]*:[^()]*\)", " ", text)  # "(speaker: Ana; notes: Bo)" names roles, not the subject
    while True:  # "Re: Fwd: [lab-list] ..."
        stripped = re.sub(r"^(?:(?:re|fw|fwd|aw|sv|wg|tr)\s*:\s*|\[[^\]]{1,40}\]\s*)", "", text, flags=re.I)
        if stripped == text:
            break
        text = stripped
    text = re.sub(r"\bjournal\s+club\b", " ", text, flags=re.I)  # an occasion, like "lab meeting"
    for mention in reversed(find_dates(text, numeric_without_year=True)):
        text = text[:mention.start] + " | " + text[mention.end:]
    kept = []
    for segment in _SEPARATORS.split(text):
        words = segment.split()
        if not words or all(_is_filler(w) for w in words):
            continue
        # Trim meeting words at the ends only: "Lab meeting notes rhizosphere pH" -> "rhizosphere pH",
        # while "Plans for the field season" keeps its inner "for the".
        while words and (_is_filler(words[0]) or words[0].lower() in _EDGE_STOPWORDS):
            words.pop(0)
        while words and (_is_filler(words[-1]) or words[-1].lower() in _EDGE_STOPWORDS):
            if _numbers_the_subject(words):
                break
            words.pop()
        if words:
            kept.append(" ".join(words))
    subject = " – ".join(kept).strip(" .,-")
    if not subject or not re.search(r"[^\W\d_]{3,}", subject):
        return None
    return subject


def is_title_line(line: str) -> bool:
    """A line written as a title (a heading, or a short line that is no sentence of prose)."""
    bare = re.sub(r"(\*\*|__)", "", line).strip()
    if bare.startswith("#"):
        return True
    outside = re.sub(r"\([^()]*\)", "", bare)  # "Lab meeting (speaker: Ana; notes: Bo) – 2025-06-17"
    dated, head = bool(find_dates(bare)), outside.split(":")[0]
    # "Key: value" is a label; "Lab Meeting Notes – 19.11.2024 – Sarah O'Connor: Biofilm imaging" is a title.
    label_like = ":" in outside.rstrip(":") and not (find_dates(head) or re.search(r"\s[–—|-]\s", head))
    return 0 < len(bare.split()) <= (16 if dated else 12) and not re.search(r"[.?!]$", bare) and not label_like
