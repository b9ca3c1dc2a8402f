"""Arena fixtures: an arena over canned answers (no model), and a run of the tiny random model."""

from __future__ import annotations

import json
import shutil

import pytest

from browser import live_server as serve_live

from arena_helpers import canned_arena
from labtune.arena.battles import Arena


@pytest.fixture
def arena(tmp_path) -> Arena:
    return canned_arena(tmp_path / "votes.db")


@pytest.fixture(scope="session")
def tiny_vicuna_run(tmp_path_factory, tiny_model_dir):
    """A run directory (as training writes it) whose weights are the tiny model's, trained with the
    vicuna_v1.1 template: its answers must be generated with that template, not the tokenizer's."""
    run = tmp_path_factory.mktemp("arena-runs") / "vicuna-run"
    shutil.copytree(tiny_model_dir, run / "model")
    (run / "labtune.json").write_text(json.dumps({"template": "vicuna_v1.1", "base_model": str(tiny_model_dir),
                                                  "kind": "full"}))
    return run


@pytest.fixture(scope="session")
def live_server():
    """live_server(app) -> context manager yielding the base URL of the running app."""
    return serve_live
