"""`labtune learn` end to end on a tiny random model: what it writes and reports (the real model: test_learn_e2e)."""

from __future__ import annotations

import json

import pytest
from rich.console import Console
from typer.testing import CliRunner

from labtune.cli import app
from labtune.data.conversation import Conversation, Message
from labtune.learn import learn, load_recipe
from labtune.learn.answering import SIGNIFICANCE, trained_open_book
from labtune.learn.report import print_report
from labtune.samples import LABNOTES

QUESTIONS = [{"question": "Who presented at the lab meeting on April 14, 2023?", "answers": ["Hana Kowalczyk"],
              "kind": "presenter"},
             {"question": "What was the 3/10/2023 lab meeting about?", "answers": ["diatom"], "kind": "topic"}]


@pytest.fixture
def small(tmp_path):
    """The notes recipe teaching content facts too, with the checks made small, and the questions file."""
    recipe = tmp_path / "small.yaml"
    recipe.write_text("synthesis:\n  content: true\n"
                      "check:\n  questions: 4\n  from_epochs: 0\n  every_epochs: 0.001\n  report_questions: 7\n")
    questions = tmp_path / "questions.jsonl"
    questions.write_text("".join(json.dumps(q) + "\n" for q in QUESTIONS))
    return recipe, questions


def test_learn_writes_the_run_its_data_and_a_report(tmp_path, tiny_model_dir, small):
    recipe, questions = small
    out = tmp_path / "run"
    report = learn(LABNOTES, out, model=str(tiny_model_dir), questions_file=questions, seed=1, recipe=recipe,
                   console=Console(quiet=True), max_steps=2).report
    for name in ("labtune.json", "model/config.json", "learn-data.json", "self-check.jsonl", "report.json",
                 "report.png"):
        assert (out / name).is_file(), name
    assert not list(out.glob("checkpoint-*"))  # a finished learn run keeps no resumable state
    assert json.loads((out / "report.json").read_text()) == json.loads(json.dumps(report))
    assert len(report["notes"]) == 13 and all(n["date"] for n in report["notes"])
    hana = next(n for n in report["notes"] if n["date"] == "2023-04-14")
    assert hana["facts"]["presenter"] == hana["facts"]["recorder"] == hana["facts"]["topic"] == 1
    assert hana["facts"]["content"] == 8  # the notes reader's facts of the note's text
    assert report["data"]["facts"] == sum(sum(n["facts"].values()) for n in report["notes"])
    assert report["data"]["general_replay"] > 0 and report["data"]["qa"]["forward"] > 0
    assert report["train"]["steps"] == 2 and len(report["train"]["checks"]) == 2
    assert len(report["self_check"]["results"]) == 7 and "overall" in report["self_check"]["accuracy"]
    assert [r["question"] for r in report["questions"]["results"]] == [q["question"] for q in QUESTIONS]
    assert set(report["questions"]["before"]) == {"presenter", "topic", "overall"}
    # Asked again with the run's notes index, as chat and serve answer, for the base model and the run.
    opened = report["questions"]["open_book"]
    assert set(opened["before"]) == set(opened["after"]) == {"presenter", "topic", "overall"}
    assert all(isinstance(r["open_book_after"], str) and "correct_open_book_before" in r
               for r in report["questions"]["results"])
    # The self-check asked again with the notes decides how chat and serve answer.
    answering, checked = report["answering"], report["self_check"]["results"]
    assert answering["questions"] == 7 and answering["closed_book"] == round(sum(r["correct"] for r in checked) / 7, 4)
    assert answering["recipe_mode"] == ("open-book" if trained_open_book(load_recipe(recipe).synthesis) else "closed-book")
    assert answering["mode"] == (answering["recipe_mode"] if answering["p_value"] >= SIGNIFICANCE else
                                 "closed-book" if answering["closed_book"] > answering["open_book"] else "open-book")
    assert [p["question"] for p in report["general"]["probes"]][0] == "What are the three primary colors?"
    assert report["general"]["perplexity_before"] > 0 and report["general"]["perplexity_change"] is not None
    assert report["index"]["chunks"] == 13 and (out / "index" / "index.json").is_file()
    assert set(report["seconds"]) == {"read", "synthesize", "before", "train", "blend", "after", "index", "total"}
    assert report["train"]["blend"]["alpha"] in (0.8, 0.9, 1.0)  # the default recipe blends back
    data = json.loads((out / "learn-data.json").read_text())
    assert len(data) == report["data"]["conversations"] + report["data"]["general_replay"]
    console = Console(record=True, width=200)
    print_report(report, console, last_question=True)
    text = console.export_text()
    assert "2023-04-14" in text and "self-check, 7 held-out questions" in text and "general perplexity" in text
    assert "questions with the notes in the prompt (open-book" in text
    assert f"answers {answering['mode']} in chat and serve (" in text
    assert text.rstrip().endswith(f"labtune chat {out}")
    assert report["data"]["untaught_items"] == 0 and "does not teach" not in text  # this recipe teaches them
    report["data"]["untaught_items"] = 60  # as the notes recipe reports it
    console = Console(record=True, width=400)
    print_report(report, console)
    assert "the notes also hold 60 items in their text" in console.export_text()
    hint = f"than this run either way: labtune chat {tiny_model_dir} --notes {LABNOTES}"
    opened = report["questions"]["open_book"]
    for base, says in ((max(report["questions"]["after"]["overall"], opened["after"]["overall"]), False), (1.01, True)):
        opened["before"]["overall"] = base  # the base model with the notes: no better, then better than the run
        console = Console(record=True, width=400)
        print_report(report, console)
        assert (hint in console.export_text()) is says


def test_a_notes_index_that_cannot_be_built_leaves_a_closed_book_run_and_says_why(tmp_path, tiny_model_dir, small,
                                                                               monkeypatch):
    import labtune.retrieval

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(labtune.retrieval, "build_index", broken)
    recipe, questions = small
    console = Console(record=True, width=200)
    report = learn(LABNOTES, tmp_path / "run", model=str(tiny_model_dir), questions_file=questions, seed=1,
                   recipe=recipe, console=console, max_steps=1).report
    assert report["index"] == {"error": "OSError: disk full"}
    assert "open_book" not in report["questions"] and "open_book_after" not in report["questions"]["results"][0]
    assert report["answering"] == {}  # no index to answer with: closed-book, nothing to choose
    assert (tmp_path / "run" / "model" / "config.json").is_file()  # tuned and usable closed-book
    assert "the retrieval index was not built: OSError: disk full" in console.export_text()


def test_the_held_out_check_stops_training_and_the_report_says_so(tmp_path, tiny_model_dir, small):
    recipe, questions = small
    stop_now = load_recipe(recipe).model_copy(update={"check": load_recipe(recipe).check.model_copy(
        update={"stop_at": 0.0})})
    report = learn(LABNOTES, tmp_path / "run", model=str(tiny_model_dir), recipe=stop_now,
                   console=Console(quiet=True), max_steps=3).report
    assert report["train"]["stopped_early"] and report["train"]["steps"] == 1
    assert "questions" not in report


def test_the_demo_command_is_learn_on_the_samples_ending_with_the_labs_question(tmp_path, tiny_model_dir, small):
    recipe, _ = small
    result = CliRunner().invoke(app, ["demo", "-o", str(tmp_path / "demo"), "--model", str(tiny_model_dir),
                                      "--recipe", str(recipe), "--max_steps", "1"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "Who is the presenter of the 4/14/2023 lab meeting?" in text.split("times (s):")[1]
    assert (tmp_path / "demo" / "report.json").is_file()


def test_a_blending_recipe_rewrites_the_model_as_the_chosen_blend(tmp_path, tiny_model_dir, small):
    import torch
    from safetensors.torch import load_file

    recipe, _ = small
    recipe.write_text(recipe.read_text() + "general:\n  blend: [0.5]\n")
    out = tmp_path / "run"
    blend = learn(LABNOTES, out, model=str(tiny_model_dir), seed=1, recipe=recipe, console=Console(quiet=True),
                  max_steps=2).report["train"]["blend"]
    # The tiny model recalls nothing before or after 2 steps, so half the tuning already keeps its recall.
    assert blend == {"alpha": 0.5, "recall": {"0.5": 0.0, "1": 0.0}}
    base = load_file(tiny_model_dir / "model.safetensors")
    saved = load_file(out / "model" / "model.safetensors")
    assert any(not torch.equal(base[name], saved[name]) for name in base)  # tuned weights, half-way


def test_the_base_models_right_readings_join_the_training_data(tmp_path, tiny_model_dir, small, monkeypatch):
    recipe, _ = small
    recipe.write_text(recipe.read_text().replace("  content: true\n", "  content: true\n  read_by_base: 0.25\n"))
    asked = []

    def read(loaded, questions, index, max_new_tokens):  # the tiny random model reads nothing right
        asked.extend(questions)
        return [Conversation([Message("user", "Notes ... Question: Who will draft the map?"),
                              Message("assistant", "Mateo Lindqvist will.")], id="notes-read-0")]

    monkeypatch.setattr("labtune.learn.pipeline.read_by_base", read)
    out = tmp_path / "run"
    report = learn(LABNOTES, out, model=str(tiny_model_dir), seed=1, recipe=recipe, console=Console(quiet=True),
                   max_steps=1).report
    assert asked and report["data"]["read_by_base"] == {"asked": len(asked), "kept": 1}
    data = json.loads((out / "learn-data.json").read_text())
    assert data[-1]["id"] == "notes-read-0" and data[-1]["conversations"][1]["value"] == "Mateo Lindqvist will."
    assert len(data) == report["data"]["conversations"] + report["data"]["general_replay"] + 1
