"""The leaderboard's outputs: JSON and PNG written whole or not at all, and the numbers they carry."""

from __future__ import annotations

import json

import pytest

from labtune.arena import leaderboard
from labtune.arena.votes import Vote

VOTES = ([Vote("p1", "q1", "?", "good", "bad", "model_a")] * 3 + [Vote("p2", "q2", "?", "bad", "good", "tie")]
         + [Vote("p3", "q3", "?", "mid", "bad", "model_a")] * 2 + [Vote("p3", "q3", "?", "mid", "bad", "model_b")]
         + [Vote("judge:x", "q1", "?", "good", "mid", "model_a", judge=True)] * 2
         + [Vote("p1", "q4", "?", "mid", "good", "model_a")])


def test_the_board_carries_ratings_intervals_win_rates_and_counts():
    board = leaderboard.build(VOTES, rounds=200, seed=1)
    assert board["models"][0] == "good" and board["votes"] == 10
    assert (board["people_votes"], board["judge_votes"]) == (8, 2)
    good = board["rows"][0]
    assert (good["wins"], good["losses"], good["ties"], good["votes"]) == (5, 1, 1, 7)
    assert good["ci_low"] <= good["bradley_terry"] <= good["ci_high"] and good["win_rate"] == pytest.approx(5 / 6)
    assert board["win_fraction"]["good"]["bad"] == 1.0 and board["pair_votes"]["good"]["bad"] == 4
    assert board["win_fraction"]["mid"]["good"] == pytest.approx(1 / 3)
    assert leaderboard.build(VOTES, rounds=200, seed=1) == board  # seeded bootstrap: the same intervals


def test_json_and_png_are_written_by_rename(tmp_path):
    board = leaderboard.build(VOTES, rounds=50)
    json_path, png_path = leaderboard.write(board, tmp_path)
    assert json.loads(json_path.read_text())["models"] == board["models"]
    assert png_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["leaderboard.json", "leaderboard.png"]


def test_a_failed_plot_leaves_the_previous_outputs_untouched(tmp_path, monkeypatch):
    leaderboard.write(leaderboard.build(VOTES, rounds=50), tmp_path)
    before = (tmp_path / "leaderboard.json").read_text()

    def broken(board, path):
        path.write_bytes(b"half a png")
        raise OSError("disk full")

    monkeypatch.setattr(leaderboard, "plot", broken)
    with pytest.raises(OSError):
        leaderboard.write(leaderboard.build(VOTES[:4], rounds=50), tmp_path)
    assert (tmp_path / "leaderboard.json").read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["leaderboard.json", "leaderboard.png"]
