"""Recipes are configuration: the packaged preset, files merged over it, errors naming file and key."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from labtune.cli import app
from labtune.data.notes.card import card
from labtune.data.notes.folder import read_notes
from labtune.data.notes.synthesize import SynthesisPlan
from labtune.errors import LabtuneError
from labtune.learn.pipeline import training_data
from labtune.learn.recipe import load_recipe, recipe_yaml
from labtune.recipes import names, read_recipe, recipe_path
from labtune.samples import LABNOTES
from labtune.train.config import TrainConfig, load_config


def test_the_notes_recipe_is_packaged_and_every_key_is_a_real_setting():
    assert "notes" in names()
    recipe = load_recipe()
    raw = read_recipe("notes")
    assert set(raw["synthesis"]) <= set(SynthesisPlan.model_fields)
    assert set(raw["train"]) <= set(TrainConfig.model_fields)
    cfg = recipe.train_config(data=["x.json"], output_dir="o")
    assert cfg.frozen_layer_fraction == raw["train"]["frozen_layer_fraction"] > 0
    assert recipe.synthesis.questions_per_fact == raw["synthesis"]["questions_per_fact"]


@pytest.mark.parametrize("name", [n for n in names() if n != "notes"])
def test_every_named_recipe_loads_over_the_notes_recipe(name):
    recipe, base = load_recipe(name), load_recipe()
    raw = read_recipe(name)
    assert raw["description"] and recipe != base
    config = recipe.train_config(data=["x.json"], output_dir="o")
    for key, value in raw.get("synthesis", {}).items():
        assert getattr(recipe.synthesis, key) == value, (name, key)
    for key, value in raw.get("train", {}).items():
        assert getattr(config, key) == value, (name, key)


def test_a_recipe_file_changes_only_the_keys_it_names(tmp_path):
    mine = tmp_path / "fast.yaml"
    mine.write_text("synthesis:\n  questions_per_fact: 5\ntrain:\n  learning_rate: 1.0e-4\n")
    recipe, base = load_recipe(mine), load_recipe()
    assert recipe.name == "fast"
    assert recipe.synthesis.questions_per_fact == 5 and recipe.train["learning_rate"] == 1e-4
    assert recipe.synthesis.turns == base.synthesis.turns
    assert recipe.train["frozen_layer_fraction"] == base.train["frozen_layer_fraction"]


@pytest.mark.parametrize("text, where", [
    ("synthesis:\n  questions_per_fac: 5\n", "synthesis.questions_per_fac"),
    ("check:\n  stop_at: 2\n", "check.stop_at"),
    ("train:\n  learning_rat: 1\n", "train.learning_rat"),
    ("train:\n  data: [x.json]\n", "train.data"),
    ("train:\n  lr_scheduler_type: sometimes\n", "train.lr_scheduler_type"),
])
def test_a_bad_recipe_is_one_error_naming_the_file_and_the_key(tmp_path, text, where):
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    with pytest.raises(LabtuneError, match=rf"^{bad}: {where}: "):
        load_recipe(bad)


def test_an_unknown_recipe_name_lists_the_known_ones():
    with pytest.raises(LabtuneError, match="no recipe named 'fastest'.*notes"):
        recipe_path("fastest")


def test_show_recipe_prints_every_key_with_its_meaning():
    result = CliRunner().invoke(app, ["learn", "--show-recipe"])
    assert result.exit_code == 0, result.output
    for key in ("questions_per_fact:", "open_book_share:", "stop_at:", "frozen_layer_fraction:", "learning_rate:"):
        line = next(line for line in result.output.splitlines() if line.strip().startswith(key))
        assert "#" in line, line
    assert result.output == recipe_yaml(load_recipe())


def test_recipes_command_lists_the_notes_recipe():
    result = CliRunner().invoke(app, ["recipes"])
    assert result.exit_code == 0 and result.output.startswith("notes  (") and "notes.yaml" in result.output


def test_train_takes_a_recipes_train_section_under_its_config_and_flags(tmp_path):
    base = read_recipe("notes")["train"]
    cfg = load_config(None, {"learning_rate": 3e-4}, base=base, base_source=recipe_path("notes"))
    assert cfg.learning_rate == 3e-4 and cfg.frozen_layer_fraction == base["frozen_layer_fraction"]
    config = tmp_path / "c.yaml"
    config.write_text("num_train_epochs: 1\n")
    cfg = load_config(config, {}, base=base, base_source=recipe_path("notes"))
    assert cfg.num_train_epochs == 1 and cfg.lr_scheduler_type == base["lr_scheduler_type"]
    bad = tmp_path / "bad.yaml"
    bad.write_text("train:\n  warmup_ratio: 7\n")
    with pytest.raises(LabtuneError, match=rf"^{bad}: train.warmup_ratio: "):
        load_config(None, {}, base=read_recipe(bad)["train"], base_source=bad)


def test_the_recipes_keep_attention_frozen_and_their_weights_held_near_the_base():
    folder = read_notes(LABNOTES)
    notes = folder.notes
    recipe, plain = load_recipe("notes-open-book"), load_recipe("notes")
    cfg, plain_cfg = (r.train_config(data=["x.json"], output_dir="o") for r in (recipe, plain))
    assert cfg.decay_to_base > 0 and plain_cfg.decay_to_base > 0
    assert "self_attn" in cfg.frozen_parameters and "self_attn" in plain_cfg.frozen_parameters
    made, _, _ = training_data(folder, recipe, 0)
    opened = [c for c in made.conversations if c.meta["kinds"] == ["open_book"]]
    asked = len(made.conversations) - len(opened)
    assert 0 < len(opened) < asked  # a share of the questions, the rest closed-book as `notes` asks them
    prompt = opened[0].messages[0].content
    assert any(card(note, actions=False) in prompt for note in notes)
    assert not [c for c in training_data(folder, plain, 0)[0].conversations if c.meta["kinds"] == ["open_book"]]


def test_the_report_counts_the_notes_text_a_recipe_leaves_untaught():
    from types import SimpleNamespace

    from labtune.learn.report import untaught_items

    meetings = [SimpleNamespace(note=SimpleNamespace(facts=["a", "b", "c"])), SimpleNamespace(note=SimpleNamespace(facts=["d"]))]
    assert [untaught_items(load_recipe(name).synthesis, meetings) for name in ("notes", "notes-content", "notes-open-book")] \
        == [4, 0, 0]
