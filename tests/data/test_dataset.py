"""Dataset mixing: weights, duplicate removal, seeded split without train/eval leakage."""

from __future__ import annotations

import json
import logging

import pytest

from labtune.data.dataset import load_dataset, parse_spec
from labtune.errors import LabtuneError


def chats(path, n, prefix="q"):
    records = [{"conversations": [{"from": "human", "value": f"{prefix}{i}"}, {"from": "gpt", "value": "a"}]}
               for i in range(n)]
    path.write_text(json.dumps(records))
    return path


@pytest.mark.parametrize("spec,expected", [
    ("data.json", ("data.json", 1.0)),
    ("data.json:0.3", ("data.json", 0.3)),
    ("data.json:2.5", ("data.json", 2.5)),
    ("data.json:.5", ("data.json", 0.5)),
    (r"C:\data\chat.json", (r"C:\data\chat.json", 1.0)),
    (r"C:\data\chat.json:2", (r"C:\data\chat.json", 2.0)),
    ("run:v2/chat.json", ("run:v2/chat.json", 1.0)),
    ("notes.json:abc", ("notes.json:abc", 1.0)),
])
def test_only_a_trailing_number_is_a_weight(spec, expected):
    assert parse_spec(spec) == expected


def test_existing_file_whose_name_ends_in_a_number_is_not_split(tmp_path):
    path = chats(tmp_path / "odd.json:2", 3)
    assert parse_spec(str(path)) == (str(path), 1.0)


def test_zero_weight_is_refused():
    with pytest.raises(LabtuneError, match="weight must be greater than 0"):
        parse_spec("x.json:0")


def test_fraction_samples_and_repeat_factor_repeats(tmp_path):
    a, b = chats(tmp_path / "a.json", 10, "a"), chats(tmp_path / "b.json", 10, "b")
    split = load_dataset([f"{a}:0.3", f"{b}:2.5"])
    texts = [c.messages[0].content for c in split.train]
    assert sum(t.startswith("a") for t in texts) == 3
    assert sum(t.startswith("b") for t in texts) == 25
    assert {texts.count(f"b{i}") for i in range(10)} == {2, 3}  # half the file a third time
    assert [(f.kept, f.train) for f in split.files] == [(3, 3), (10, 25)]


def test_exact_duplicates_are_removed_across_files_before_weighting(tmp_path):
    a, b = chats(tmp_path / "a.json", 4), chats(tmp_path / "b.json", 6)  # b repeats a's 4
    split = load_dataset([str(a), f"{b}:2"])
    assert [f.duplicates for f in split.files] == [0, 4]
    assert len(split.train) == 4 + 2 * 2
    assert split.report()["duplicates_removed"] == 4


def test_split_is_seeded_and_eval_never_in_train(tmp_path):
    path = chats(tmp_path / "a.json", 40)
    one = load_dataset([f"{path}:3"], eval_fraction=0.25, seed=1)
    again = load_dataset([f"{path}:3"], eval_fraction=0.25, seed=1)
    other = load_dataset([f"{path}:3"], eval_fraction=0.25, seed=2)
    assert len(one.eval) == 10 and len(one.train) == 90
    assert [c.key() for c in one.eval] == [c.key() for c in again.eval]
    assert [c.key() for c in one.eval] != [c.key() for c in other.eval]
    assert not {c.key() for c in one.eval} & {c.key() for c in one.train}


def test_problems_in_all_files_are_reported_together_unless_skipped(tmp_path, caplog):
    good = chats(tmp_path / "good.json", 2)
    bad1 = tmp_path / "bad1.jsonl"
    bad1.write_text('{"messages": [{"role": "user", "content": ""}]}\n')
    bad2 = tmp_path / "bad2.json"
    bad2.write_text(json.dumps([{"instruction": "x", "input": "", "output": 3}]))
    with pytest.raises(LabtuneError) as info:
        load_dataset([str(good), str(bad1), str(bad2)])
    assert "2 invalid records in" in str(info.value)
    assert "bad1.jsonl" in str(info.value) and "bad2.json" in str(info.value)
    with caplog.at_level(logging.WARNING):
        split = load_dataset([str(good), str(bad1), str(bad2)], skip_invalid=True)
    assert len(split.train) == 2 and split.skipped == 2
    assert "2 invalid records" in caplog.text and "skipped (--skip-invalid)" in caplog.text
    assert "record 0, field messages[0].content: empty content" in caplog.text
    assert "record 0, field output: wrong type: expected a string, got a number" in caplog.text
