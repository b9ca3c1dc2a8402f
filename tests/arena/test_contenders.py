"""Contenders: found without loading, answered through the one loader with each run's template, cached."""

from __future__ import annotations

import os

import pytest

from labtune.arena.contenders import answer_all, contender, contenders
from labtune.arena.votes import VoteStore
from labtune.errors import LabtuneError
from labtune.eval.questions import Question
from labtune.data.conversation import Message

QUESTIONS = [Question([Message("user", "Who presented?")], []), Question([Message("user", "Who took notes?")], [])]


def test_unknown_or_repeated_contenders_are_refused_before_anything_loads(tiny_model_dir, tmp_path):
    with pytest.raises(LabtuneError, match="'no/such/run' not found"):
        contender("no/such/run")
    with pytest.raises(LabtuneError, match="at least two"):
        contenders([str(tiny_model_dir)])
    with pytest.raises(LabtuneError, match="given twice"):
        contenders([str(tiny_model_dir), str(tiny_model_dir) + "/", "smollm2-135m"])
    empty_run = tmp_path / "unfinished"
    empty_run.mkdir()
    (empty_run / "labtune.json").write_text("{}")
    with pytest.raises(LabtuneError, match="neither model/ nor adapter/"):
        contender(str(empty_run))


def test_the_weights_fingerprint_changes_when_a_run_is_retrained(tiny_vicuna_run):
    before = contender(str(tiny_vicuna_run))
    assert before.name == os.path.normpath(str(tiny_vicuna_run))
    config = tiny_vicuna_run / "model" / "config.json"
    stat = config.stat()
    try:
        os.utime(config, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10 ** 9))
        assert contender(str(tiny_vicuna_run)).key != before.key
    finally:
        os.utime(config, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert contender(str(tiny_vicuna_run)).key == before.key


def test_answers_use_each_runs_own_template_and_are_cached(tiny_model_dir, tiny_vicuna_run, tmp_path, monkeypatch):
    import labtune.eval.answer as answer_module

    real, seen = answer_module.generate_answers, []

    def spy(loaded, prompts, **kwargs):
        seen.append((loaded.name, loaded.template.name, len(prompts)))
        return real(loaded, prompts, **kwargs)

    monkeypatch.setattr(answer_module, "generate_answers", spy)
    store = VoteStore(tmp_path / "votes.db", create=True)
    entrants = contenders([str(tiny_model_dir), str(tiny_vicuna_run)])
    answers = answer_all(store, entrants, QUESTIONS, max_new_tokens=4)
    assert [(t, n) for _, t, n in seen] == [("tokenizer", 2), ("vicuna_v1.1", 2)]
    assert set(answers) == {e.name for e in entrants} and all(len(a) == 2 for a in answers.values())

    import labtune.arena.contenders as contenders_module

    monkeypatch.setattr(contenders_module, "generate", lambda *a, **k: pytest.fail("cached answers regenerated"))
    assert answer_all(store, entrants, QUESTIONS, max_new_tokens=4) == answers
    more = QUESTIONS + [Question([Message("user", "What topic?")], [])]
    monkeypatch.setattr(contenders_module, "generate", lambda spec, prompts, *a, **k: ["new"] * len(prompts))
    extended = answer_all(store, entrants, more, max_new_tokens=4)  # only the new question is generated
    assert [list(a.values())[-1] for a in extended.values()] == ["new", "new"]
    assert [list(a.values())[:2] for a in extended.values()] == [list(a.values()) for a in answers.values()]
