"""What `labtune learn` refuses before it writes anything: a folder it cannot learn from, a run
directory it would clobber. Each refusal is one LabtuneError naming the file and the fix.
"""

from __future__ import annotations

from pathlib import Path

from labtune.data.notes.parse import NOTE_SUFFIXES, NotesFolder, read_notes
from labtune.errors import LabtuneError
from labtune.model.run_dir import CONFIG, LEARN_DATA, META, REPORT


def note_files(folder: Path) -> list[Path]:
    try:
        return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in NOTE_SUFFIXES)
    except OSError as exc:
        raise LabtuneError(f"{exc.filename or folder}: cannot list ({exc.strerror})") from None


def check_text(path: Path) -> None:
    """A note must be readable UTF-8 text; a binary file with a note's suffix is refused, not skipped."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LabtuneError(f"{path}: cannot read ({exc.strerror})") from None
    if b"\x00" in data:
        raise LabtuneError(f"{path}: a binary file, not text notes: move it out of the notes folder")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LabtuneError(f"{path}: not UTF-8 text (byte {exc.start}): save it as UTF-8 or move it out of the "
                           "notes folder") from None


def read_folder(folder: Path) -> NotesFolder:
    """The notes of `folder`, refusing a folder with no notes, no dated note, or a file that is not text."""
    folder = Path(folder)
    if not folder.exists():
        raise LabtuneError(f"{folder}: not found")
    if not folder.is_dir():
        raise LabtuneError(f"{folder}: not a folder of notes")
    files = note_files(folder)
    if not files:
        raise LabtuneError(f"{folder}: no notes found (.md, .txt or .markdown files, read recursively)")
    for path in files:
        check_text(path)
    notes = read_notes(folder)
    if not notes.notes:
        raise LabtuneError(f"{folder}: every note file is empty")
    if not any(note.date for note in notes.notes):
        raise LabtuneError(f"{folder}: no note has a date (in its title, its first lines or its file name, e.g. "
                           "'Lab meeting on 4/14/2023'): learn keys every fact by its meeting's date")
    return notes


def check_output(output: Path) -> None:
    """A new or empty directory, or one a previous run wrote (replaced); anything else is refused."""
    output = Path(output)
    if output.exists() and not output.is_dir():
        raise LabtuneError(f"{output}: exists and is not a directory: choose another -o")
    ours = any((output / name).is_file() for name in (META, CONFIG, REPORT, LEARN_DATA))  # a run, or one cut short
    if output.is_dir() and any(output.iterdir()) and not ours:
        raise LabtuneError(f"{output}: exists and holds something other than a labtune run: choose another -o")
