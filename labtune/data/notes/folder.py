"""Read a folder of notes: every file under it, each meeting it holds, and each file or meeting skipped
with the reason (binary, not UTF-8, too large, empty, no date, nothing found). Nothing is dropped
silently: what is not a `Note` is in `NotesFolder.skipped`.

Two passes: the folder's own evidence first (its day/month order, its usual year, its people's full
names), then every file read with it, so "02/04/2024" in one note is read the way the others write
dates and "kenji" in one note is the "Kenji Marchetti" of another.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

from labtune.data.notes.csv_notes import TABLE_SUFFIXES, table_to_markdown
from labtune.data.notes.dates import day_first_from, order_evidence, years_in
from labtune.data.notes.html_notes import HTML_SUFFIXES, html_to_markdown
from labtune.data.notes.note import Note, NotesFolder, NotNotes
from labtune.data.notes.ods_notes import ods_to_markdown
from labtune.data.notes.odt_notes import odt_to_markdown
from labtune.data.notes.parse import PEOPLE_KEYS, FolderContext, parse_file
from labtune.data.notes.pdf_notes import pdf_to_text
from labtune.data.notes.people import People
from labtune.data.notes.pptx_notes import pptx_to_markdown
from labtune.data.notes.rtf_notes import rtf_to_plain
from labtune.data.notes.slack_notes import slack_day_to_chat
from labtune.data.notes.transcripts import TRANSCRIPT_SUFFIXES, transcript_to_chat
from labtune.data.notes.word import docx_to_markdown
from labtune.data.notes.xls_notes import xls_to_markdown
from labtune.data.notes.xlsx_notes import xlsx_to_markdown
from labtune.errors import LabtuneError
from labtune.textfile import decode, marked_encoding, not_text

# Each format read into the text the reader knows (Markdown, or a chat log), by its library: documents from
# their bytes, text formats from their decoded text and path. A reader raises NotNotes when the file holds
# no meeting (its message is the reason); any other error of a damaged or mislabelled file is "not KIND
# that can be read", and the folder goes on.
DOCUMENTS = {".docx": (docx_to_markdown, "a Word document"), ".pdf": (pdf_to_text, "a PDF"),
             ".odt": (odt_to_markdown, "an OpenDocument text"), ".rtf": (rtf_to_plain, "a Rich Text document"),
             ".xlsx": (xlsx_to_markdown, "an Excel workbook"), ".ods": (ods_to_markdown, "an OpenDocument spreadsheet"),
             ".xls": (xls_to_markdown, "an Excel 97-2003 workbook"), ".pptx": (pptx_to_markdown, "a PowerPoint deck")}
TEXT_FORMATS = {**{suffix: (lambda text, path: html_to_markdown(text), "an HTML page") for suffix in HTML_SUFFIXES},
                **{suffix: (table_to_markdown, "a table") for suffix in TABLE_SUFFIXES},
                **{suffix: (transcript_to_chat, "a transcript") for suffix in TRANSCRIPT_SUFFIXES},
                ".json": (slack_day_to_chat, "a day of a Slack export")}
NOTE_SUFFIXES = (".md", ".txt", ".markdown", ".text", ".eml", ".org", *TEXT_FORMATS, *DOCUMENTS)
MAX_NOTE_BYTES = 5 * 1024 * 1024  # meeting notes are kilobytes; a bigger file is an export or a mistake
MAX_DOCUMENT_BYTES = 50 * 2**20  # a document's pictures count in its size, not in its notes
_SNIFF_BYTES = 8192


def _convert(read, kind: str, *content) -> tuple[str | None, str | None]:
    """(the text `read` makes of `content`, None) or (None, why the file is skipped)."""
    try:
        return read(*content), None
    except NotNotes as exc:
        return None, str(exc)
    except Exception as exc:  # noqa: BLE001 (a damaged, locked or mislabelled file fails anywhere in its library)
        return None, f"not {kind} that can be read ({type(exc).__name__})"


def _read_text(path: Path) -> tuple[str | None, str | None]:
    """(text, None) or (None, the reason it cannot be read as a note)."""
    if path.suffix.lower() not in NOTE_SUFFIXES:
        return None, f"not a notes file ({path.suffix or 'no suffix'}); notes are {', '.join(NOTE_SUFFIXES)}"
    try:
        size, limit = path.stat().st_size, MAX_DOCUMENT_BYTES if path.suffix.lower() in DOCUMENTS else MAX_NOTE_BYTES
        if size > limit:
            return None, f"too large ({size / 1e6:.0f} MB; notes are read up to {limit // 2**20} MB)"
        data = path.read_bytes()
    except OSError as exc:
        return None, f"unreadable ({exc.strerror or exc})"
    if path.suffix.lower() in DOCUMENTS:
        read, kind = DOCUMENTS[path.suffix.lower()]
        text, reason = _convert(read, kind, data)
        if reason:
            return None, reason
        return (text, None) if text.strip() else (None, "no text in it (a scan? notes are read from text)")
    marked = marked_encoding(data)  # UTF-16's zero bytes are not a binary file's
    if marked is None and b"\x00" in data[:_SNIFF_BYTES]:
        return None, "binary file, not text"
    try:
        text = decode(data)
    except UnicodeDecodeError as exc:
        if path.suffix.lower() == ".eml" and not marked:  # raw email: the message's own charset is read by the email package
            text = data.decode("utf-8", "surrogateescape")
        else:
            return None, not_text(data, exc)
    if marked and "\x00" in text[:_SNIFF_BYTES]:
        return None, "binary file, not text"
    if path.suffix.lower() in TEXT_FORMATS:
        read, kind = TEXT_FORMATS[path.suffix.lower()]
        text, reason = _convert(read, kind, text, path)
        if reason:
            return None, reason
    if not text.strip():
        return None, "empty file"
    return text, None


def _visible_files(folder: Path) -> list[Path]:
    """Files under `folder`; hidden files and folders (.git, .DS_Store, .obsidian) are not notes."""
    return sorted(p for p in folder.rglob("*")
                  if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts))


def _skip_reason(note: Note) -> str | None:
    if note.date is None:
        why = "; ".join(note.problems) if note.problems else "looked in the title, first lines, file and folder names"
        return f"no date ({why})"
    if not note.fields and not note.facts:
        return "nothing found: no roles, topic or items"
    return None


def folder_context(texts: dict[Path, str], root: Path, people: People | None = None) -> FolderContext:
    evidence: Counter = Counter()
    years: Counter = Counter()
    for text in texts.values():
        evidence.update(order_evidence(text))
        years.update(years_in(text))
    # The year most notes were written in dates the ones that give none; on a tie, the later year.
    folder_year = max(years, key=lambda y: (years[y], y)) if years else None
    return FolderContext(root, day_first_from(evidence), folder_year, people or People())


def _parse(path: Path, text: str, context: FolderContext, skipped: list) -> list[Note] | None:
    """One file's meetings; a note the reader cannot handle is reported with the error, and the rest is read."""
    try:
        return parse_file(path, text, context)
    except Exception as exc:  # noqa: BLE001  (one odd note must not stop a folder; it is listed, not hidden)
        skipped.append((path, f"could not be read ({type(exc).__name__}: {exc}); please report this note"))
        return None


def read_notes(folder: Path) -> NotesFolder:
    """All meetings under `folder`, recursively, sorted by date then path, and the files skipped, with why."""
    folder = Path(folder)
    if not folder.is_dir():
        raise LabtuneError(f"{folder}: not a directory of notes")
    texts: dict[Path, str] = {}
    skipped: list[tuple[Path, str]] = []
    for path in _visible_files(folder):
        text, reason = _read_text(path)
        if reason:
            skipped.append((path, reason))
        else:
            texts[path] = text
    context = folder_context(texts, folder)
    first = {path: _parse(path, text, context, skipped) for path, text in texts.items()}
    people = People()
    for notes in first.values():
        for note in notes or []:
            for key in PEOPLE_KEYS:
                if note.fields.get(key):
                    people.add(note.fields[key])
    context.people = people
    notes: list[Note] = []
    for path, text in texts.items():
        meetings = _parse(path, text, context, skipped) if first[path] is not None else None
        for note in meetings or []:
            reason = _skip_reason(note)
            if reason is None:
                notes.append(note)
            elif len(meetings) > 1:
                skipped.append((path, f'meeting "{note.title}": {reason}'))
            else:
                skipped.append((path, reason))
    notes.sort(key=lambda n: (n.date or date.min, str(n.path)))
    skipped.sort(key=lambda s: str(s[0]))
    return NotesFolder(notes, skipped, context.day_first)


def require_notes(notes: NotesFolder, folder: Path) -> None:
    """One error line when nothing usable is left: what was skipped, and how to see why."""
    if notes.notes:
        return
    if not notes.skipped:
        raise LabtuneError(f"{folder}: no notes found ({', '.join(NOTE_SUFFIXES)} files, read recursively)")
    reasons = Counter(reason.split(" (")[0].split(";")[0] for _, reason in notes.skipped)
    listed = ", ".join(f"{n} {reason}" for reason, n in reasons.most_common())
    raise LabtuneError(f"{folder}: no usable notes; {len(notes.skipped)} file(s) skipped: {listed} "
                       "(run with --explain to see each)")
