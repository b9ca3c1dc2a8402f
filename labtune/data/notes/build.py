"""Notes folder -> training conversations (`build_notes_data`) and the ShareGPT file (`write_sharegpt`)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from labtune.data.conversation import Conversation
from labtune.data.notes.folder import require_notes
from labtune.data.notes.note import NotesFolder
from labtune.data.notes.parse import read_notes
from labtune.data.notes.synthesize import SynthesisPlan, synthesize


@dataclass
class NotesData:
    folder: NotesFolder
    conversations: list[Conversation]
    kinds: Counter  # Q&A per kind (synthesize.KINDS), "mix" for the mixed-in files

    def field_counts(self) -> Counter:
        return Counter(key for note in self.folder.notes for key in note.fields)


def build_notes_data(folder: Path, options: SynthesisPlan, mix: list[str] | None = None,
                     notes: NotesFolder | None = None) -> NotesData:
    """Read the notes (or take `notes` already read), synthesize conversations, append `--mix FILE:WEIGHT` data."""
    notes = notes if notes is not None else read_notes(folder)
    require_notes(notes, folder)
    made = synthesize(notes.notes, options, notes.day_first)
    convs, kinds = list(made.conversations), Counter(made.kinds)
    if mix:
        from labtune.data.dataset import load_dataset

        # Same weight rules as `labtune train --data FILE:WEIGHT` (fraction < 1, repeats >= 1).
        mixed = load_dataset(mix, seed=options.seed).train
        convs += mixed
        kinds["mix"] = len(mixed)  # conversations
    return NotesData(notes, convs, kinds)


def write_sharegpt(conversations: list[Conversation], out: Path) -> None:
    """ShareGPT/Vicuna JSON, written to a temp file and renamed."""
    from labtune.data.convert import to_sharegpt, write_atomic

    records = []
    for i, conv in enumerate(conversations):
        record = to_sharegpt(conv)
        record.setdefault("id", f"mix-{i}")
        records.append(record)
    write_atomic(out, json.dumps(records, ensure_ascii=False, indent=1) + "\n")
