"""What `labtune learn` refuses before it writes anything: a folder it cannot learn from, a run
directory it would clobber. Each refusal is one LabtuneError naming the folder or file and the fix.

A file that cannot be a note (binary, not UTF-8, unreadable) is skipped and reported, as the notes
reader does; a folder left with no dated note is refused.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from labtune.data.notes.parse import NOTE_SUFFIXES, Note, read_notes
from labtune.errors import LabtuneError
from labtune.model.run_dir import CONFIG, LEARN_DATA, META, REPORT


@dataclass
class Folder:
    notes: list[Note]
    skipped: list[tuple[Path, str]] = field(default_factory=list)  # (file, why), shown and reported


def note_files(folder: Path) -> list[Path]:
    try:
        return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in NOTE_SUFFIXES)
    except OSError as exc:
        raise LabtuneError(f"{exc.filename or folder}: cannot list ({exc.strerror})") from None


def unusable(path: Path) -> str | None:
    """Why a file with a note's suffix cannot be read as text notes, or None when it can."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return f"cannot read ({exc.strerror})"
    if b"\x00" in data:
        return "binary file, not text"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"not UTF-8 text (byte {exc.start}); save it as UTF-8"
    return None


def read_folder(folder: Path) -> Folder:
    """The dated notes of `folder` and the files skipped; refused when no dated note is left."""
    folder = Path(folder)
    if not folder.exists():
        raise LabtuneError(f"{folder}: not found")
    if not folder.is_dir():
        raise LabtuneError(f"{folder}: not a folder of notes")
    files = note_files(folder)
    if not files:
        raise LabtuneError(f"{folder}: no notes found ({', '.join(NOTE_SUFFIXES)} files, read recursively)")
    skipped = [(path, why) for path in files if (why := unusable(path))]
    try:
        read = read_notes(folder)
    except OSError as exc:
        raise LabtuneError(f"{exc.filename or folder}: cannot read ({exc.strerror})") from None
    bad = {path for path, _ in skipped}
    skipped += [(p, why) for p, why in getattr(read, "skipped", []) if p not in bad]
    notes = [n for n in read.notes if n.path not in bad]
    undated = [n for n in notes if n.date is None]
    skipped += [(n.path, "no date (in the title, first lines or file name)") for n in undated]
    dated = [n for n in notes if n.date is not None]
    if not dated:
        reasons = Counter(why.split(" (")[0].split(";")[0] for _, why in skipped)
        found = "; ".join(f"{n} {why}" for why, n in reasons.most_common()) or "every file is empty"
        raise LabtuneError(f"{folder}: no dated notes to learn from ({found}): learn keys every fact by its "
                           "meeting's date, e.g. 'Lab meeting on 4/14/2023' in the title or first lines")
    return Folder(dated, sorted(skipped, key=lambda s: str(s[0])))


def check_output(output: Path) -> None:
    """A new or empty directory, or one a previous run wrote (replaced); anything else is refused."""
    output = Path(output)
    if output.exists() and not output.is_dir():
        raise LabtuneError(f"{output}: exists and is not a directory: choose another -o")
    ours = any((output / name).is_file() for name in (META, CONFIG, REPORT, LEARN_DATA))  # a run, or one cut short
    if output.is_dir() and any(output.iterdir()) and not ours:
        raise LabtuneError(f"{output}: exists and holds something other than a labtune run: choose another -o")
