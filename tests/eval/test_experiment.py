import json

import pytest
from rich.console import Console

from eval_helpers import write_run
from labtune.errors import LabtuneError
from labtune.experiment import read_grid, run_experiment

GRID = """
output_dir: {out}
train: {{model: {model}, learning_rate: 1.0e-3, per_device_train_batch_size: 2}}
mixes:
  notes: [notes.json]
  notes+playground: [notes.json, chat.json:0.5]
grid: {{num_train_epochs: [3, 50]}}
eval: {{questions: {questions}, general: {general}, max_new_tokens: 8, general_samples: 2, general_questions: 1}}
"""


@pytest.fixture
def grid_file(tmp_path, tiny_model_dir, questions_file, general_file):
    path = tmp_path / "grid.yaml"
    path.write_text(GRID.format(out=tmp_path / "grid", model=tiny_model_dir, questions=questions_file,
                                general=general_file))
    return path


def test_grid_is_every_mix_times_every_value(grid_file, tmp_path):
    grid = read_grid(grid_file)
    assert [r.name for r in grid.runs] == ["notes-ep3", "notes-ep50", "notes+playground-ep3",
                                           "notes+playground-ep50"]
    run = grid.runs[3]
    assert run.options["data"] == ["notes.json", "chat.json:0.5"]
    assert run.options["num_train_epochs"] == 50 and run.options["learning_rate"] == 1.0e-3
    assert run.output_dir == tmp_path / "grid" / "notes+playground-ep50"


@pytest.mark.parametrize("text, message", [
    ("mixes: {}\neval: {questions: q.jsonl}", "mixes"),
    ("mixes: {a: [x.json]}\ngrid: {num_train_epochs: 3}\neval: {questions: q.jsonl}", "grid.num_train_epochs"),
    ("mixes: {a: [x.json]}\neval: {match: exact}", "eval.questions"),
    ("mixes: {a: [x.json]}\neval: {questions: q.jsonl, temperature: 1}", "eval.temperature"),
    ("mixes: {a: [x.json]}\ntrain: {data: [y.json]}\neval: {questions: q.jsonl}", "data"),
    ("mixes: {a: [x.json]}\nepochs: [1]\neval: {questions: q.jsonl}", "epochs"),
])
def test_bad_grid_names_the_field(tmp_path, text, message):
    path = tmp_path / "grid.yaml"
    path.write_text(text)
    with pytest.raises(LabtuneError, match=message):
        read_grid(path)


def test_bad_training_option_fails_before_any_training(grid_file):
    grid_file.write_text(grid_file.read_text().replace("learning_rate", "learning_rat"))
    trained = []
    with pytest.raises(LabtuneError, match="run notes-ep3.*learning_rat"):
        run_experiment(grid_file, train=trained.append)
    assert trained == []


def test_experiment_trains_each_run_then_compares_them(grid_file, tiny_model_dir, taught_model_dir, monkeypatch,
                                                       tmp_path):
    monkeypatch.setenv("LABTUNE_HOME", str(tmp_path / "home"))
    grid_file.write_text(grid_file.read_text().replace("  notes+playground: [notes.json, chat.json:0.5]\n", ""))
    trained = []

    def fake_train(cfg):  # stands in for labtune.train.loop.train: writes a finished run
        trained.append(cfg.output_dir)
        model = taught_model_dir if cfg.num_train_epochs == 50 else tiny_model_dir
        write_run(tmp_path / cfg.output_dir, model, tiny_model_dir, train_s=cfg.num_train_epochs,
                  config=cfg.model_dump())

    console = Console(file=open("/dev/null", "w"))
    rows = run_experiment(grid_file, console=console, train=fake_train)
    assert len(trained) == 2
    by_name = {r.name.rsplit("/", 1)[-1]: r for r in rows}
    assert by_name["notes-ep50"].accuracy["overall"] == 0.5 and by_name["notes-ep3"].accuracy["overall"] == 0.0
    assert by_name["notes-ep50"].train_seconds == 50
    saved = json.loads((tmp_path / "grid" / "eval" / "eval.json").read_text())
    assert [m["name"].rsplit("/", 1)[-1] for m in saved["models"]] == [tiny_model_dir.name, "notes-ep3", "notes-ep50"]

    trained.clear()
    run_experiment(grid_file, console=console, train=fake_train)
    assert trained == []  # finished runs with the same config are reused
