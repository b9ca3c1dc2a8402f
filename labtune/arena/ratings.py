"""Ratings from pairwise votes, with the conventions of LMSYS's leaderboard (FastChat's
`elo_analysis.py`): a vote is (model_a, model_b, winner) with winner one of WINNERS; a tie, "both bad"
included, counts as half a win for each side; ratings are on the Elo scale (400 points = 10x odds).

- `online_elo`: the sequential Elo update, K=4, every model starting at 1000, votes in the order given
  (time order: LMSYS sorts battles by timestamp first).
- `bradley_terry`: the maximum-likelihood Bradley-Terry fit (logistic model of P(a beats b) on the
  rating difference), fitted with scipy's L-BFGS-B on the counts of each distinct (a, b, outcome)
  as FastChat does, then centred so that the ratings average 1000 (FastChat anchors a named baseline
  model instead; a lab's runs have none).
- `bootstrap_bradley_terry`: FastChat's bootstrap: resample the votes with replacement (a multinomial
  draw over the distinct outcomes) and refit; the 2.5% and 97.5% quantiles give the 95% interval.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

WINNERS = ("model_a", "model_b", "tie", "tie (bothbad)")
K, SCALE, BASE, INIT_RATING = 4, 400, 10, 1000


@dataclass(frozen=True)
class Battle:
    model_a: str  # the answer shown first ("A")
    model_b: str
    winner: str  # one of WINNERS

    @property
    def score_a(self) -> float:
        """1 when A won, 0 when B won, 0.5 for a tie or "both bad"."""
        if self.winner not in WINNERS:
            raise ValueError(f"unknown winner {self.winner!r}: expected one of {', '.join(WINNERS)}")
        return {"model_a": 1.0, "model_b": 0.0}.get(self.winner, 0.5)


def models_of(battles: Iterable[Battle]) -> list[str]:
    """The models in order of first appearance."""
    seen: dict[str, None] = {}
    for b in battles:
        seen.setdefault(b.model_a)
        seen.setdefault(b.model_b)
    return list(seen)


def online_elo(battles: Iterable[Battle], k: float = K, scale: float = SCALE, base: float = BASE,
               init: float = INIT_RATING) -> dict[str, float]:
    rating: dict[str, float] = {}
    for b in battles:
        ra, rb = rating.setdefault(b.model_a, init), rating.setdefault(b.model_b, init)
        expected_a = 1 / (1 + base ** ((rb - ra) / scale))
        expected_b = 1 / (1 + base ** ((ra - rb) / scale))
        score_a = b.score_a
        rating[b.model_a] = ra + k * (score_a - expected_a)
        rating[b.model_b] = rb + k * (1 - score_a - expected_b)
    return rating


@dataclass(frozen=True)
class Outcomes:
    """The votes as counts of each distinct (a, b, outcome): what the likelihood depends on."""

    models: list[str]
    pairs: np.ndarray  # (n, 2) indices of model a and model b
    scores: np.ndarray  # (n,) 1, 0.5 or 0: the score of a
    counts: np.ndarray  # (n,) how many votes had this (a, b, score)


def outcomes(battles: Sequence[Battle], models: list[str] | None = None) -> Outcomes:
    models = models or models_of(battles)
    index = {m: i for i, m in enumerate(models)}
    rows = np.array([(index[b.model_a], index[b.model_b], int(b.score_a * 2)) for b in battles],
                    dtype=np.int64).reshape(-1, 3)
    distinct, counts = np.unique(rows, axis=0, return_counts=True)
    return Outcomes(models, distinct[:, :2], distinct[:, 2] / 2.0, counts.astype(np.float64))


def _negative_log_likelihood(flat: np.ndarray, data: Outcomes, weights: np.ndarray, incidence: np.ndarray):
    """Sum over rows of weights of the BT negative log-likelihood, and its gradient.

    `weights` is (rounds, n): each row is one independent fit. The loss is a sum of separate terms, so
    one L-BFGS run over all rounds' ratings reaches each round's own optimum; it replaces a Python
    loop of small fits (20-50 ms each, so 20-50 s for 1000 bootstrap rounds, against ~0.2 s).
    """
    from scipy.special import expit, log_expit

    rounds, n_models = weights.shape[0], len(data.models)
    ratings = flat.reshape(rounds, n_models)
    alpha = math.log(BASE)
    logits = alpha * (ratings[:, data.pairs[:, 0]] - ratings[:, data.pairs[:, 1]])
    loss = -(weights * (data.scores * log_expit(logits) + (1 - data.scores) * log_expit(-logits))).sum()
    row_grad = -alpha * (data.scores - expit(logits)) * weights  # d loss / d rating of a (minus for b)
    grad = row_grad @ incidence
    return loss, grad.ravel()


def _incidence(data: Outcomes) -> np.ndarray:
    """(n, models): +1 at model a, -1 at model b of each row."""
    matrix = np.zeros((len(data.pairs), len(data.models)))
    rows = np.arange(len(data.pairs))
    matrix[rows, data.pairs[:, 0]] += 1
    matrix[rows, data.pairs[:, 1]] -= 1
    return matrix


def _fit(data: Outcomes, weights: np.ndarray) -> np.ndarray:
    """BT ratings on the Elo scale, one row per row of `weights` (each normalised to sum 1)."""
    from scipy.optimize import minimize

    weights = np.atleast_2d(weights)
    weights = weights / np.maximum(weights.sum(axis=1, keepdims=True), 1e-300)
    start = np.zeros(weights.shape[0] * len(data.models))
    # As FastChat: L-BFGS-B from zero, stopping when every gradient component is below 1e-6 (each
    # component belongs to one fit, so this is each fit's own test). A model that won (or lost) every
    # vote has no finite optimum: its rating climbs until its gradient is that small (~2,400 points).
    result = minimize(_negative_log_likelihood, start, args=(data, weights, _incidence(data)), jac=True, method="L-BFGS-B",
                      options={"maxiter": 1000, "gtol": 1e-6, "ftol": 1e-15})
    ratings = result.x.reshape(weights.shape[0], len(data.models)) * SCALE
    return ratings - ratings.mean(axis=1, keepdims=True) + INIT_RATING


def bradley_terry(battles: Sequence[Battle]) -> dict[str, float]:
    data = outcomes(battles)
    if not data.models:
        return {}
    return dict(zip(data.models, _fit(data, data.counts)[0].tolist()))


def bootstrap_bradley_terry(battles: Sequence[Battle], rounds: int = 1000, seed: int = 0) -> tuple[list[str], np.ndarray]:
    """(models, ratings of shape (rounds, models)) from `rounds` resamplings of the votes."""
    data = outcomes(battles)
    if not data.models or rounds < 1:
        return data.models, np.empty((0, len(data.models)))
    rng = np.random.default_rng(seed)
    total = int(data.counts.sum())
    draws = rng.multinomial(total, data.counts / total, size=rounds).astype(np.float64)
    return data.models, _fit(data, draws)


def interval_ranks(lower: dict[str, float], upper: dict[str, float]) -> dict[str, int]:
    """LMSYS's rank: 1 + the number of models whose lower bound is above this model's upper bound."""
    return {m: 1 + sum(lower[o] > upper[m] for o in lower if o != m) for m in lower}


def unbounded(battles: Iterable[Battle]) -> list[str]:
    """Models that won every vote or lost every vote: their maximum-likelihood rating is infinite."""
    scores: dict[str, set[float]] = {}
    for b in battles:
        scores.setdefault(b.model_a, set()).add(b.score_a)
        scores.setdefault(b.model_b, set()).add(1 - b.score_a)
    return [m for m, s in scores.items() if s in ({1.0}, {0.0})]


def pair_counts(battles: Iterable[Battle], models: list[str]) -> dict[str, dict[str, dict[str, int]]]:
    """For each ordered pair (row, column): the row's wins, losses and ties (both bad counted as tie)."""
    table = {m: {o: {"wins": 0, "losses": 0, "ties": 0} for o in models if o != m} for m in models}
    for b in battles:
        s = b.score_a
        key_a, key_b = ("wins", "losses") if s == 1 else ("losses", "wins") if s == 0 else ("ties", "ties")
        table[b.model_a][b.model_b][key_a] += 1
        table[b.model_b][b.model_a][key_b] += 1
    return table


def win_fraction(counts: dict[str, dict[str, dict[str, int]]]) -> dict[str, dict[str, float | None]]:
    """Row beats column, over the votes with a winner (ties left out, as FastChat's matrix does)."""
    return {m: {o: (c["wins"] / (c["wins"] + c["losses"]) if c["wins"] + c["losses"] else None)
                for o, c in row.items()} for m, row in counts.items()}
