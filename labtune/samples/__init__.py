"""Sample data shipped with labtune: note folders and their questions (the demo and the tests use them)."""

from pathlib import Path

HERE = Path(__file__).resolve().parent
LABNOTES = HERE / "labnotes"  # the lab's notes in the neat `Key: value` layout
LABNOTES_QUESTIONS = HERE / "labnotes-questions.jsonl"
