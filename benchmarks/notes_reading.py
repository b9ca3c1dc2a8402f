"""How well the notes reader reads folders that come with a ground truth (labnotes-messy and the test cases):
per role and topic, how many meetings it found right, wrong or not at all; per action item, owner and
deadline right; and the reading time per meeting. A truth file is JSON {"meetings": [{"file", "date",
"presenter", "recorder", "topic", "chair"?, "actions": [{"task", "owner", "deadline"}]}]}.

    python benchmarks/notes_reading.py
    python benchmarks/notes_reading.py --folder my-notes --truth my-notes-truth.json
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections import Counter
from datetime import date
from pathlib import Path

from labtune.data.notes.parse import read_notes
from labtune.samples import LABNOTES_MESSY, LABNOTES_MESSY_TRUTH

CASES = Path(__file__).resolve().parents[1] / "tests" / "data" / "notes_cases"
ROLES = {"date": None, "presenter": "Presenter", "recorder": "Recorder", "topic": "Topic", "chair": "Chair"}


def norm(text: str | None) -> str:
    return re.sub(r"^(?:the|a|an)\s+", "", " ".join((text or "").casefold().split())).strip(" .")


def score(folder: Path, truth_path: Path) -> tuple[Counter, float, int]:
    truth = json.loads(truth_path.read_text(encoding="utf-8"))
    start = time.process_time()
    notes = read_notes(folder).notes
    seconds = time.process_time() - start
    counts: Counter = Counter()
    by_file: dict[str, list] = {}
    for note in notes:
        by_file.setdefault(str(note.path.relative_to(folder)), []).append(note)
    for meeting in truth["meetings"]:
        candidates = by_file.get(meeting["file"], [])
        note = next((n for n in candidates if n.date == date.fromisoformat(meeting["date"])), None)
        counts["date right" if note else "date wrong or missing"] += 1
        if note is None:
            continue
        for name, key in ROLES.items():
            if key is None or not meeting.get(name) and not note.fields.get(key):
                continue
            found = note.fields.get(key)
            verdict = "right" if norm(found) == norm(meeting.get(name)) else "missing" if not found else "wrong"
            counts[f"{name} {verdict}"] += 1
        for action in meeting["actions"]:
            fact = next((f for f in note.facts if action["task"].casefold() in f.text.casefold()), None)
            owner_ok = fact is not None and fact.owner == action["owner"]
            deadline_ok = fact is not None and norm(fact.deadline) == norm(action["deadline"])
            counts[f"action owner {'right' if owner_ok else 'wrong'}"] += 1
            counts[f"action deadline {'right' if deadline_ok else 'wrong'}"] += 1
    return counts, seconds, len(notes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, action="append", help="a notes folder (with --truth; repeatable)")
    parser.add_argument("--truth", type=Path, action="append", help="its ground-truth JSON")
    args = parser.parse_args()
    pairs = list(zip(args.folder or [], args.truth or []))
    if not pairs:
        pairs = [(LABNOTES_MESSY, LABNOTES_MESSY_TRUTH)] + [
            (path, CASES / f"{path.name}.truth.json") for path in sorted(CASES.iterdir()) if path.is_dir()]
    for folder, truth in pairs:
        counts, seconds, meetings = score(folder, truth)
        print(f"{folder.name}: {meetings} meetings read in {seconds * 1000:.0f} ms CPU "
              f"({seconds * 1000 / max(meetings, 1):.1f} ms each)")
        for name in ("date", *[n for n in ROLES if n != "date"], "action owner", "action deadline"):
            parts = {v: counts[f"{name} {v}"] for v in ("right", "wrong", "missing", "wrong or missing")
                     if counts[f"{name} {v}"]}
            if parts:
                print(f"  {name:<16} " + ", ".join(f"{n} {v}" for v, n in parts.items()))


if __name__ == "__main__":
    main()
