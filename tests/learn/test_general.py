"""Keeping general answers: the replay split, and probes that were never trained on."""

from __future__ import annotations

import json

from labtune.learn.general import REPLAY, Probe, probes, replay


def test_replay_is_plain_sharegpt_of_the_base_models_answers():
    records = json.loads(REPLAY.read_text())
    assert len(records) >= 60
    for record in records:
        roles = [turn["from"] for turn in record["conversations"]]
        assert roles == ["human", "gpt"] and record["conversations"][1]["value"].strip()


def test_the_held_out_replay_is_the_same_for_every_seed_and_never_sampled_for_training():
    split = replay(24)
    assert len(split.held_out) == 24 and len(split.train_pool) == len(json.loads(REPLAY.read_text())) - 24
    held = {c.messages[0].content for c in split.held_out}
    for seed in range(3):
        assert not held & {c.messages[0].content for c in split.sample(30, seed)}
    assert [c.messages[0].content for c in replay(24).held_out] == [c.messages[0].content for c in split.held_out]


def test_probes_are_not_in_the_replay_and_need_every_word_group():
    prompts = " ".join(r["conversations"][0]["value"].lower() for r in json.loads(REPLAY.read_text()))
    for probe in probes():
        assert probe.question.lower() not in prompts
    colours = Probe("What are the three primary colors?", [["red"], ["blue"], ["yellow", "green"]])
    assert colours.kept("Red, blue and yellow.") and colours.kept("red, green, blue")
    assert not colours.kept("Red and blue.") and not colours.kept("Bread, blueberry, yellow")
