"""One `Fact` per thing a note records: its kind (action, decision, question, number, item, sentence),
who owns an action and by when, the quantities, instruments and samples it names, and its people.

Owners as people write them: "Hana: share the spreadsheet", "Tomasz will ask", "@ana check the pump",
"(owner: Ravi)", "Ravi to send X by Friday", "Kenji books the GC" (under an action heading), a table's
Owner column. Deadlines: "by June 1", "by fri", "before the next meeting", "due 5/3", "(due 3 May)".
"""

from __future__ import annotations

import bisect
import re

from labtune.data.notes.dates import find_dates
from labtune.data.notes.labels import is_content_label, label_role
from labtune.data.notes.note import Fact
from labtune.data.notes.people import NOT_PEOPLE, People, fold

MODAL = r"(?:will|to|shall|should|must|can|needs?\s+to|has\s+to|have\s+to|is\s+to|is\s+going\s+to|'ll|" \
        r"agreed\s+to|volunteered\s+to|offered\s+to|promised\s+to|is\s+responsible\s+for|will\s+try\s+to)"
_GROUP_OWNERS = {"everyone", "everybody", "all", "team", "whole lab", "the lab", "all students", "we"}
_NAME = r"@?[^\W\d_][\w'’.-]*(?:\s+[^\W\d_][\w'’.-]*){0,2}"
_OWNER_LABEL = re.compile(r"[(\[,;]\s*(?:owner|owners|assigned to|assignee|responsible|lead|who)\s*[:=-]?\s*"
                          rf"(?P<name>{_NAME}?)\s*(?=[,;)\]]|$)", re.I)
_AT = re.compile(r"(?<![\w.])@(?P<name>[^\W\d_][\w.-]*[^\W_.])")
_NAME_COLON = re.compile(rf"^(?P<name>{_NAME}?(?:\s+(?:and|&)\s+{_NAME}?)?)\s*(?::|\s[–—-])\s+(?P<rest>\S.*)$")
_NAME_MODAL = re.compile(rf"^(?P<name>{_NAME}?(?:\s+(?:and|&)\s+{_NAME}?)?)\s+(?P<modal>{MODAL})\s+(?P<rest>\S.*)$",
                         re.I)
_NAME_VERB = re.compile(rf"^(?P<name>{_NAME}?)\s+(?P<verb>[a-z][a-z-]+s)\b\s+(?P<rest>.*)$")  # "Kenji books the GC"
_TRAILING_OWNER = re.compile(rf"\s*(?:[–—-]|→|->|=>)\s*(?P<d>{_NAME})\s*(?:,\s*[^,]{{1,20}})?[.]?$")
_PASSIVE = re.compile(r"be\s+[a-z]+(?:ed|en|wn)\b")
_LEADING_OWNER = re.compile(rf"^[\[(](?P<name>{_NAME})[\])]\s+(?P<rest>\S.*)$")  # "[Ana] book the room"
_PARENTHESES = re.compile(r"[(\[](?P<inside>[^()\[\]]{1,80})[)\]]")
_OWNER_WORDS = re.compile(r"^(?:owner|owners|assigned\s+to|assignee|responsible|lead|who)\s*[:=-]?\s*", re.I)
_ACTION_PREFIX = re.compile(r"^\s*(?:\[[ xX]\]\s*|TODO\b\s*[:\-–]?\s*|(?:To-?do|Action(?:\s+item)?|AI)\s*[:\-–]\s*)",
                            re.I)
_DEADLINE = re.compile(r"\b(?P<kw>by|due(?:\s+(?:by|on))?|deadline(?:\s+is)?:?|no\s+later\s+than|before|ahead\s+of)\s+"
                       r"(?P<when>[^,;()\[\]]{2,40}?)(?=\s*(?:[,;()\[\]]|\.(?:\s|$)|$|\s+(?:and|so|but|to|for|if)\s))",
                       re.I)
_WHEN_WORDS = re.compile(r"^(?:the\s+)?(?:(?:end|start|beginning|middle)\s+of\b|next\b|this\b|tomorrow|tonight|today|"
                         r"eod|eow|eom|cob|mid-?\s?[a-z]+|early\s|late\s|(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?$|"
                         r"(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?\s|(?:the\s+)?\d{1,2}(?:st|nd|rd|th)\b|"
                         r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?(?:\s|$)|"
                         r"(?:spring|summer|autumn|fall|winter)\b|"
                         r"week\s+\d+|(?:the\s+)?(?:next|following)\s+(?:meeting|week|month|session|lab\s+meeting)|"
                         r"\d{1,2}/\d{1,2}(?:/\d{2,4})?\b|\d{1,2}(?:st|nd|rd|th)?\s+[a-z]{3})", re.I)
_DECISION = re.compile(r"^\s*(?:decision|decided|agreed|resolved|consensus)\s*[:\-–]|\b(?:we|the\s+group|the\s+lab|"
                       r"everyone|all)\s+(?:agreed|decided)\b|\bdecided\s+to\b|\bit\s+was\s+agreed\b", re.I)
_UNIT = (r"%|‰|°\s?[CF]|K\b|[kmµun]?m\b|[kmµun]?g\b|[mµu]?[lL]\b|[mµun]?M\b|[mµ]?mol\b|ppm|ppb|h\b|hrs?\b|hours?|min\b|"
         r"minutes?|s\b|sec\b|seconds?|days?|weeks?|months?|years?|[KMGT]B\b|kb\b|Mb\b|bp\b|x\b|fold\b|rpm\b|V\b|W\b|"
         r"[kM]?Hz\b|[kMG]?Pa\b|bar\b|euros?|EUR\b|USD\b|dollars?|nm\b|µm\b|cm\b|mm\b")
_NOT_PLURAL = r"(?:across|was|is|has|does|this|thus|plus|less|always|perhaps|yes|us|as|its|his|takes|runs|goes|gets)\b"
# A number and its unit, or the plural noun it counts ("640 headspace vials", "48 samples").
_NUMBER = re.compile(rf"(?<![\w./-])(?:[€$£]\s?)?\d+(?:[.,]\d+)?(?:\s?(?:{_UNIT})|\s+(?!{_NOT_PLURAL})[a-zA-Z-]+s\b|"
                     rf"\s+(?!{_NOT_PLURAL})[a-zA-Z-]+\s+(?!{_NOT_PLURAL})[a-zA-Z-]+s\b)?")
_INSTRUMENT_HEADS = (r"chromatograph|spectrometer|spectrophotometer|photometer|fluorometer|microscope|analy[sz]er|"
                     r"sequencer|centrifuge|autosampler|incubator|freezer|fridge|oven|thermocycler|cycler|"
                     r"plate\s+reader|cytometer|microsensor|sensor|probe|optode|logger|pump|sonicator|autoclave|"
                     r"fume\s+hood|laser|camera|drone|simulator|chamber|balance|scanner|robot|microtome|"
                     r"(?:GC|LC|ICP)-?MS|HPLC|GC|IRMS|NMR|qPCR|PCR\s+machine|FTIR|XRF|SEM|TEM")
_SAMPLE_HEADS = (r"samples?|cores?|plots?|slides?|jars?|vials?|extracts?|bags?|litterbags?|trays?|pots?|transects?|"
                 r"cultures?|strains?|isolates?|specimens?|filters?|tubes?|metagenomes?|replicates?|standards?|"
                 r"sites?|foils?|bins?|bottles?")
# Words before a noun that name the thing ("isotope ratio mass", "vole-damaged", "48"), not verbs, determiners
# or adverbs; a word in -ed/-ing only right before the noun ("warming plots", "failed standards").
_NOT_MODIFIERS = set("""the a an our their his her its this that these those on in of to for per with from and or is are
was were by can could will take takes run runs about all every each other some any more most remaining new old same
screen recount only also then than at as into onto against across under over below above between after before within
without""".split())
_INSTRUMENT_HEAD = re.compile(rf"\b(?:{_INSTRUMENT_HEADS})\b", re.I)
_SAMPLE_HEAD = re.compile(rf"\b(?:{_SAMPLE_HEADS})\b(?-i:\s+[A-Z]\d*\b)?", re.I)
_SAMPLE_ID = re.compile(r"\b(?:core|plot|site|bay|sample)\s+(?-i:[A-Z0-9]{1,4})\b", re.I)
_QUESTION_SECTION = re.compile(r"questions?|q\s*&\s*a|faq", re.I)


def strip_markup(text: str) -> str:
    return re.sub(r"(\*\*|__|`)", "", text).strip()


def _owner_name(raw: str, people: People, lowercase_names: bool, strict: bool) -> str | None:
    raw = raw.strip().lstrip("@").strip(" .,:")
    if not raw or fold(raw) in _GROUP_OWNERS:
        return "everyone" if raw and fold(raw) in _GROUP_OWNERS - {"we"} else None
    parts = [p for p in re.split(r"\s+(?:and|&)\s+", raw) if p]
    names = []
    for part in parts:
        words = part.split()
        if not words or len(words) > 3 or fold(words[0]) in NOT_PEOPLE or label_role(part) or is_content_label(part):
            return None
        known = people.lookup(part)
        if known:
            names.append(known)
        elif not strict and all(w[:1].isupper() for w in words):
            names.append(part)
        elif not strict and lowercase_names and len(words) == 1:
            names.append(part.capitalize())
        else:
            return None
    return " and ".join(names) if names else None


def find_owner(text: str, people: People, in_actions: bool, lowercase_names: bool = False) -> tuple[str | None, str]:
    """(owner, the task without the owner's name) for one item or sentence; (None, text) when it names none."""
    leading = _LEADING_OWNER.match(text)
    if leading:
        owner = _owner_name(leading["name"], people, lowercase_names, strict=not (in_actions or
                                                                                 _starts_task(leading["rest"])))
        if owner:
            return owner, leading["rest"]
    for group in _PARENTHESES.finditer(text):  # "(owner: Ravi)", "(Jun, due 10/12)", "[Ana]"
        for part in re.split(r"[,;]", group["inside"]):
            labelled = _OWNER_WORDS.match(part.strip())
            name = part.strip()[labelled.end():] if labelled else part
            owner = _owner_name(name, people, lowercase_names,
                                strict=not (labelled or in_actions or _starts_task(text)))
            if owner:
                return owner, text
    match = _OWNER_LABEL.search(text)
    if match and match["name"]:
        owner = _owner_name(match["name"], people, lowercase_names, strict=False)
        if owner:
            return owner, (text[:match.start()] + text[match.end():]).strip(" ,;")
    at = _AT.search(text)
    if at:
        owner = _owner_name(at["name"], people, True, strict=False)
        if owner:
            return owner, (text[:at.start()] + text[at.end():]).strip(" :,-")
    colon = _NAME_COLON.match(text)
    if colon and colon["rest"].rstrip().endswith("?"):  # "Sven: can you send me the file?" asks, not owns
        colon = None
    if colon and not label_role(colon["name"], colon["rest"]) and not is_content_label(colon["name"]):
        # A name before a colon owns what follows when it is a task ("Hana: share the file"), not a reply
        # ("Astrid: yes, after the meeting"); under an action heading every such line is a task.
        if in_actions or _starts_task(colon["rest"]):
            owner = _owner_name(colon["name"], people, lowercase_names, strict=False)
            if owner:
                return owner, colon["rest"]
    modal = _NAME_MODAL.match(text)
    if modal and _PASSIVE.match(modal["rest"]) and not people.lookup(modal["name"]):
        modal = None  # "Calibration should be repeated every morning": a thing, not a person, is its subject
    if modal:
        owner = _owner_name(modal["name"], people, lowercase_names, strict=False)
        if owner:
            return owner, modal["rest"] if modal["modal"].lower() != "is responsible for" else text
    if in_actions:
        verb = _NAME_VERB.match(text)
        if verb and verb["verb"] not in ("is", "was", "has", "does"):
            owner = _owner_name(verb["name"], people, lowercase_names, strict=False)
            if owner:
                return owner, f"{verb['verb']} {verb['rest']}".strip()
        trailing = _TRAILING_OWNER.search(text)
        if trailing:
            owner = _owner_name(trailing["d"], people, lowercase_names, strict=True)
            if owner:
                return owner, text[:trailing.start()].strip()
    return None, text


# Verbs that open a task ("Hana: share the file"), so a name before a colon owns it.
TASK_VERBS = set("""
send share order book ask email e-mail draft write check update prepare print post schedule contact call review
finish fix run rerun re-run upload circulate follow look find organise organize arrange buy collect clean
calibrate test measure label count recount weigh train install set make get bring read revise submit compile
summarise summarize analyse analyze plot compare repeat confirm reply remind invite coordinate present give take
keep move replace add remove sign inventory scan request reserve ping chase sort merge document archive ship
mail deliver pick try investigate explore plan design sequence extract filter prep digitize transcribe back help
lead meet visit apply register renew pay estimate drive borrow lend return store freeze thaw dry grind sieve
stain image photograph map sample core liaise talk discuss ensure verify validate redo re-do finalise finalize
start continue complete distribute reach follow-up sync setup set-up outline reorder re-order assess identify
tidy clear refill restock list will to should must can
""".split())


def _starts_task(rest: str) -> bool:
    first = rest.split()[0].lower().strip(",.") if rest.split() else ""
    redo = first[2:].lstrip("-") if first.startswith("re") else ""  # "retrain", "re-label", "resend"
    return first in TASK_VERBS or (len(redo) > 2 and redo in TASK_VERBS)


_URGENT = re.compile(r"\b(asap|urgently|eod|eow)\b|\b(today|tonight|tomorrow)\W*$", re.I)


def find_deadline(text: str) -> str | None:
    """"Friday" for "by Friday", "before the next meeting", "3 May" for "(due 3 May)", "asap" at the end;
    None when none."""
    match = deadline_match(text)
    if match:
        when, keyword = match["when"].strip().rstrip("."), match["kw"].lower()
        return f"{keyword.split()[0]} {when}" if keyword.startswith(("before", "ahead")) else when
    urgent = _URGENT.search(text)
    return (urgent[1] or urgent[2]) if urgent else None


def deadline_match(text: str) -> re.Match | None:
    """Where `text` says by when ("by Friday", "before the next meeting"), the span `find_deadline` reads."""
    for match in _DEADLINE.finditer(text):
        when = match["when"].strip().rstrip(".")
        if _WHEN_WORDS.match(when) or find_dates(when, numeric_without_year=True):
            return match
        if match["kw"].lower().startswith(("before", "ahead")) and re.match(r"the\s+[^\W\d_]", when, re.I):
            return match  # "before the spring campaign": by an event of the lab's own
    return None


def _numbers(text: str) -> list[str]:
    dates = find_dates(text, numeric_without_year=True)  # sorted, not overlapping
    starts = [d.start for d in dates]
    out = []
    for match in _NUMBER.finditer(text):
        k = bisect.bisect_right(starts, match.start()) - 1
        if k >= 0 and match.start() < dates[k].end:  # part of a date
            continue
        value = match[0].strip()
        if re.fullmatch(r"\d+", value) and not re.search(r"[.,]\d", value):
            continue  # a bare integer (list numbering, years, IDs) is no quantity
        out.append(value)
    return out


def _phrases(heads: re.Pattern, text: str, modifiers: int) -> list[str]:
    """Each head noun with the words before it that name it: "the isotope ratio mass spectrometer"."""
    found: list[str] = []
    for match in heads.finditer(text):
        mods: list[str] = []
        for k, word in enumerate(reversed(text[max(0, match.start() - 80):match.start()].split())):
            bare = word.lower()
            if (len(mods) == modifiers or not re.fullmatch(r"[\w-]+", word) or bare in _NOT_MODIFIERS
                    or (k and re.search(r"(?:ing|ly|ed)$", bare))):
                break
            mods.insert(0, word)
        counted = next((i for i, w in enumerate(mods) if w[0].isdigit()), None)  # "ran 48 samples": from the count
        phrase = " ".join(mods[counted or 0:] + [match[0]])
        if phrase.lower() not in (f.lower() for f in found):
            found.append(phrase)
    return found


def make_fact(text: str, sentence: str, base_kind: str, section: str, people: People,
              lowercase_names: bool = False, owner: str | None = None, deadline: str | None = None) -> Fact:
    """A fact of kind item|sentence, promoted to action/decision/question/number by what it says and where."""
    in_actions = base_kind == "action"
    clean = strip_markup(_ACTION_PREFIX.sub("", text))
    task = clean
    if owner is None:
        owner, task = find_owner(clean, people, in_actions, lowercase_names)
    deadline = deadline or find_deadline(clean)
    kind = base_kind
    numbers = _numbers(clean)
    if base_kind in ("item", "sentence"):
        if _QUESTION_SECTION.fullmatch(section.strip(" :").lower()) or (clean.rstrip().endswith("?") and not owner):
            kind = "question"
        elif _DECISION.search(clean):
            kind = "decision"
        elif owner and (re.search(rf"(?:^|\s){MODAL}\s|^[^:]{{1,40}}:\s", clean, re.I) or _starts_task(task)):
            kind = "action"  # "Ravi to send", "Hana: share", "order new KCl asap (Dee)"
        elif numbers:
            kind = "number"
    mentioned = people.find(clean, lowercase_names)
    if owner:
        for person in owner.split(" and "):
            if person not in mentioned and person != "everyone":
                mentioned.insert(0, person)
    return Fact(clean, sentence.strip(), kind, mentioned, owner, deadline, task if owner else None, numbers,
                _phrases(_INSTRUMENT_HEAD, clean, 3), _phrases(_SAMPLE_HEAD, clean, 2) + [
                    m[0] for m in _SAMPLE_ID.finditer(clean)])
