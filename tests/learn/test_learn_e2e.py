"""`labtune learn` on the real default model and the bundled sample notes: the bar `make demo` shows.

About 4-5 minutes on the 2-core CPU (SmolLM2-135M, the notes recipe, bfloat16 on its AVX512-BF16). The
held-out self-check, the other folders and seeds and the time targets are measured by
benchmarks/notes_recipe.py, not asserted here.
"""

from __future__ import annotations

import pytest
from rich.console import Console

from labtune.learn import learn
from labtune.model.run_dir import RunDir
from labtune.samples import LABNOTES, LABNOTES_QUESTIONS

LAB_QUESTION = "Who is the presenter of the 4/14/2023 lab meeting?"


@pytest.mark.slow
@pytest.mark.timeout(2400)
def test_learn_on_the_samples_answers_the_questions_and_keeps_general_answers(tmp_path):
    report = learn(LABNOTES, tmp_path / "demo", questions_file=LABNOTES_QUESTIONS, console=Console(quiet=True)).report
    questions = report["questions"]
    wrong = [(r["question"], r["after"]) for r in questions["results"] if not r["correct_after"]]
    assert questions["before"]["overall"] <= 0.2
    assert questions["after"]["overall"] >= 0.9, wrong
    lab = next(r for r in questions["results"] if r["question"] == LAB_QUESTION)
    assert lab["correct_after"], lab["after"]
    colours = next(p for p in report["general"]["probes"] if "primary colors" in p["question"])
    assert colours["kept_after"], colours["after"]
    assert RunDir(tmp_path / "demo").has_index, report["index"]  # open-book answers in chat and serve
