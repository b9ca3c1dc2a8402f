"""Sample data shipped with labtune: note folders and their questions (the demo and the tests use them)."""

from pathlib import Path

HERE = Path(__file__).resolve().parent
LABNOTES = HERE / "labnotes"  # the lab's notes in the neat `Key: value` layout
LABNOTES_QUESTIONS = HERE / "labnotes-questions.jsonl"
# Another lab's notes as people write them: email, prose, tables, YAML front matter, terse lowercase,
# bold and other labels, several meetings in one file, day-first and yearless dates, action items.
LABNOTES_MESSY = HERE / "labnotes-messy"
LABNOTES_MESSY_QUESTIONS = HERE / "labnotes-messy-questions.jsonl"
# Per meeting: file, date, presenter, recorder, topic, chair, action items (task, owner, deadline).
LABNOTES_MESSY_TRUTH = HERE / "labnotes-messy-truth.json"
