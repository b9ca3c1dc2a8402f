"""Elo and Bradley-Terry: hand computations, FastChat's conventions, and recovery of known strengths."""

from __future__ import annotations

import math

import numpy as np
import pytest

from labtune.arena.ratings import (Battle, bootstrap_bradley_terry, bradley_terry, interval_ranks, online_elo,
                                   pair_counts, unbounded, win_fraction)


def test_online_elo_equals_a_hand_computation():
    votes = [Battle("a", "b", "model_a"), Battle("b", "a", "tie"), Battle("a", "c", "model_b")]
    # 1. a 1000 beats b 1000: expected 0.5 each, K=4 -> a 1002, b 998.
    # 2. b 998 (shown first) ties a 1002: E_b = 1 / (1 + 10^(4/400)) = 0.494244;
    #    b += 4 (0.5 - 0.494244) = +0.023023 -> 998.023023; a -= 0.023023 -> 1001.976977.
    # 3. a 1001.976977 loses to c 1000: E_a = 1 / (1 + 10^(-1.976977/400)) = 0.502845;
    #    a -= 4 x 0.502845 = 2.011380 -> 999.965597; c += 2.011380 -> 1002.011380.
    ratings = online_elo(votes)
    assert ratings == pytest.approx({"a": 999.965597, "b": 998.023023, "c": 1002.011380}, abs=1e-4)


def test_online_elo_counts_both_kinds_of_tie_as_half_and_keeps_the_vote_order():
    assert online_elo([Battle("a", "b", "tie"), Battle("b", "a", "tie (bothbad)")]) == {"a": 1000.0, "b": 1000.0}
    win_then_loss = online_elo([Battle("a", "b", "model_a"), Battle("a", "b", "model_b")])
    loss_then_win = online_elo([Battle("a", "b", "model_b"), Battle("a", "b", "model_a")])
    # online Elo depends on the order: the later vote weighs more
    assert win_then_loss["a"] < 1000 < loss_then_win["a"]


def test_bradley_terry_of_two_models_is_their_log_odds_on_the_elo_scale():
    # a scores 3 wins + 2 ties x 0.5 = 4 of 6 votes; the MLE is P(a beats b) = 4/6 = 2/3, so
    # r_a - r_b = 400 log10((2/3) / (1/3)) = 400 log10(2) = 120.412; centred on 1000: 1060.206 and 939.794.
    votes = [Battle("a", "b", "model_a")] * 3 + [Battle("b", "a", "model_a"), Battle("a", "b", "tie"),
                                                Battle("b", "a", "tie (bothbad)")]
    assert bradley_terry(votes) == pytest.approx({"a": 1060.206, "b": 939.794}, abs=1e-3)


def test_bradley_terry_solves_the_score_equations_on_three_models():
    # At the maximum of the likelihood each model's expected score equals its actual score.
    votes = ([Battle("a", "b", "model_a")] * 5 + [Battle("b", "a", "model_a")] * 2 + [Battle("b", "c", "model_a")] * 4
             + [Battle("c", "b", "model_a")] * 3 + [Battle("a", "c", "model_b")] * 2 + [Battle("c", "a", "tie")] * 2
             + [Battle("a", "c", "model_a")] * 3)
    r = bradley_terry(votes)
    for model in r:
        actual = expected = 0.0
        for v in votes:
            if model in (v.model_a, v.model_b):
                other = v.model_b if v.model_a == model else v.model_a
                actual += v.score_a if v.model_a == model else 1 - v.score_a
                expected += 1 / (1 + 10 ** ((r[other] - r[model]) / 400))
        assert expected == pytest.approx(actual, abs=1e-3)
    assert sum(r.values()) / 3 == pytest.approx(1000)


def simulate(strengths: dict[str, float], n: int, rng: np.random.Generator) -> list[Battle]:
    """Votes drawn from the Bradley-Terry model itself: P(a beats b) = 1 / (1 + 10^((s_b - s_a) / 400))."""
    names = list(strengths)
    votes = []
    for _ in range(n):
        i, j = rng.choice(len(names), 2, replace=False)
        a, b = names[i], names[j]
        p = 1 / (1 + 10 ** ((strengths[b] - strengths[a]) / 400))
        votes.append(Battle(a, b, "model_a" if rng.random() < p else "model_b"))
    return votes


TRUTH = {"m0": 1200.0, "m1": 1080.0, "m2": 960.0, "m3": 760.0}  # averages 1000, like the fitted ratings


def test_elo_and_bradley_terry_recover_the_ranking_of_known_strengths():
    votes = simulate(TRUTH, 4000, np.random.default_rng(7))
    order = sorted(TRUTH, key=TRUTH.get, reverse=True)
    bt, elo = bradley_terry(votes), online_elo(votes)
    assert sorted(bt, key=bt.get, reverse=True) == order
    assert sorted(elo, key=elo.get, reverse=True) == order
    assert all(abs(bt[m] - TRUTH[m]) < 40 for m in TRUTH), bt


def test_bootstrap_intervals_cover_the_true_strengths_about_95_percent_of_the_time():
    # 80 independent vote sets of 500 from fixed strengths; each gets 200-round bootstrap intervals.
    # Seeded, so the outcome is fixed (0.94 here; percentile intervals run a little under 0.95), and the
    # bounds sit more than 2.5 standard errors (0.014 for 320 intervals) from it.
    rng = np.random.default_rng(2024)
    covered, widths = [], []
    for trial in range(80):
        votes = simulate(TRUTH, 500, rng)
        models, samples = bootstrap_bradley_terry(votes, rounds=200, seed=trial)
        low, high = np.quantile(samples, 0.025, axis=0), np.quantile(samples, 0.975, axis=0)
        truth = np.array([TRUTH[m] for m in models])
        covered += list((low <= truth) & (truth <= high))
        widths += list(high - low)
    coverage = float(np.mean(covered))
    assert 0.90 <= coverage <= 0.99, coverage
    assert np.mean(widths) < 150  # informative intervals, not coverage bought by width


def test_interval_rank_is_one_plus_the_models_surely_better():
    lower = {"a": 1100, "b": 1050, "c": 900}
    upper = {"a": 1200, "b": 1150, "c": 1000}
    assert interval_ranks(lower, upper) == {"a": 1, "b": 1, "c": 3}


def test_a_model_that_won_every_vote_is_flagged_unbounded():
    votes = [Battle("a", "b", "model_a"), Battle("b", "c", "tie"), Battle("c", "b", "model_a")]
    assert unbounded(votes) == ["a"]
    assert bradley_terry(votes)["a"] > bradley_terry(votes)["b"] + 1000


def test_win_fraction_leaves_ties_out_and_counts_both_positions():
    votes = [Battle("a", "b", "model_a"), Battle("b", "a", "model_b"), Battle("b", "a", "model_a"),
             Battle("a", "b", "tie")]
    counts = pair_counts(votes, ["a", "b"])
    assert counts["a"]["b"] == {"wins": 2, "losses": 1, "ties": 1}
    assert counts["b"]["a"] == {"wins": 1, "losses": 2, "ties": 1}
    assert win_fraction(counts)["a"]["b"] == pytest.approx(2 / 3)
    assert math.isclose(win_fraction(counts)["b"]["a"], 1 / 3)


def test_an_unknown_winner_is_refused():
    with pytest.raises(ValueError, match="unknown winner"):
        online_elo([Battle("a", "b", "left")])
