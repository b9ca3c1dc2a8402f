"""`labtune demo`: the flow on a tiny model (fast), and the issue's thresholds on the real one (slow)."""

from __future__ import annotations

import json

import pytest
from rich.console import Console

from labtune.demo import GENERAL_REPLAY, LAB_QUESTION, SAMPLE_NOTES, SAMPLE_QUESTIONS, Recipe, print_result, run_demo


def test_demo_flow_trains_a_run_and_ends_with_the_lab_question_and_chat_command(tmp_path, tiny_model_dir):
    console = Console(record=True, width=200)
    result = run_demo(tmp_path / "run", model=str(tiny_model_dir), console=console, max_steps=2)
    print_result(result, console)
    text = console.export_text()

    meta = json.loads((tmp_path / "run" / "labtune.json").read_text())
    assert meta["kind"] == "full" and (tmp_path / "run" / "model" / "config.json").is_file()
    n_questions = sum(1 for line in SAMPLE_QUESTIONS.read_text().splitlines() if line.strip())
    assert len(result.before) == len(result.after) == n_questions
    assert result.after[-1].question == LAB_QUESTION
    # the table, then the lab's question on its own, then how to chat with the run
    assert text.rindex(LAB_QUESTION) > text.index("sample questions, before and after tuning")
    assert text.rstrip().endswith(f"labtune chat {tmp_path / 'run'}")
    data = json.loads((tmp_path / "run" / "demo-data.json").read_text())
    replay_ids = {r["id"] for r in json.loads(GENERAL_REPLAY.read_text())}
    assert any(r["id"] in replay_ids for r in data), "the general replay set is mixed in"


def test_bundled_replay_set_is_plain_sharegpt_without_the_probe_question():
    records = json.loads(GENERAL_REPLAY.read_text())
    assert len(records) >= 60
    for record in records:
        roles = [turn["from"] for turn in record["conversations"]]
        assert roles == ["human", "gpt"] and record["conversations"][1]["value"].strip()
    # the e2e test asks about primary colours to check general knowledge; it must not be trained on
    assert not any("primary" in r["conversations"][0]["value"].lower() for r in records)


# The bar, asserted as written (about 8.5 minutes on the 2-core CPU). The 10-minute
# limit on the whole demo is a measured number in the README, not a timed assertion.
@pytest.mark.slow
@pytest.mark.timeout(2400)
def test_demo_recipe_learns_the_notes_and_keeps_general_answers(tmp_path):
    if not SAMPLE_NOTES.is_dir():
        pytest.skip("labtune/samples/labnotes not present")
    result = run_demo(tmp_path / "demo", recipe=Recipe())
    assert result.accuracy_before <= 0.2, [r.answer for r in result.before]
    assert result.accuracy_after >= 0.9, [(r.question, r.answer) for r in result.after if not r.correct]
    colours = result.probe_after.lower()
    assert "red" in colours and "blue" in colours and ("yellow" in colours or "green" in colours), colours
    lab = next(r for r in result.after if r.question == LAB_QUESTION)
    assert lab.correct, lab.answer


def test_demo_with_missing_notes_is_one_error_line_and_exit_2(tmp_path):
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "labtune", "demo", "--notes", str(tmp_path / "none"),
                           "-o", str(tmp_path / "run")], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ") and str(tmp_path / "none") in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and not (tmp_path / "run").exists()


def test_table_shows_the_tuned_answer_whole_so_the_name_at_its_end_is_seen():
    from labtune.demo import DemoResult
    from labtune.eval import QuestionResult

    tuned = ("The lab meeting on April 14, 2023 was about nitrogen fixation by lake cyanobacteria, "
             "and the presenter was Hana Kowalczyk.")
    ramble = "The presenter was Dr. Elena Martinez, " + "a renowned scientist " * 10
    result = DemoResult(run_dir=None, before=[QuestionResult(LAB_QUESTION, ["Hana Kowalczyk"], ramble, False)],
                        after=[QuestionResult(LAB_QUESTION, ["Hana Kowalczyk"], tuned, True)])
    console = Console(record=True, width=400)
    print_result(result, console)
    text = console.export_text()
    assert tuned in text
    assert ramble[:90] + "..." in text and ramble not in text
