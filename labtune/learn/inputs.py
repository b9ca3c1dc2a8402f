"""What `labtune learn` refuses before it writes anything: a folder it cannot learn from, a run
directory it would clobber. Each refusal is one LabtuneError naming the folder or file and the fix.

The notes reader decides what a note is: files that cannot be notes (binary, not UTF-8, unreadable,
undated) are skipped with the reason and reported; a folder left with no dated meeting is refused.
"""

from __future__ import annotations

from pathlib import Path

from labtune.data.notes.folder import read_notes, require_notes
from labtune.data.notes.note import NotesFolder
from labtune.errors import LabtuneError
from labtune.model.run_dir import CONFIG, LEARN_DATA, META, REPORT


def read_folder(folder: Path) -> NotesFolder:
    """The dated meetings of `folder` and the files skipped; refused when none is left."""
    notes = read_notes(Path(folder))
    require_notes(notes, Path(folder))
    return notes


def check_output(output: Path) -> None:
    """A new or empty directory, or one a previous run wrote (replaced); anything else is refused."""
    output = Path(output)
    if output.exists() and not output.is_dir():
        raise LabtuneError(f"{output}: exists and is not a directory: choose another -o")
    ours = any((output / name).is_file() for name in (META, CONFIG, REPORT, LEARN_DATA))  # a run, or one cut short
    if output.is_dir() and any(output.iterdir()) and not ours:
        raise LabtuneError(f"{output}: exists and holds something other than a labtune run: choose another -o")
