"""The votes database: WAL, several writers at once, and clear errors for files that are not one."""

from __future__ import annotations

import multiprocessing
import sqlite3

import pytest

from labtune.arena.votes import Vote, VoteStore
from labtune.errors import LabtuneError


def vote(i: int = 0, **fields) -> Vote:
    values = dict(voter=f"v{i}", question_id=f"q{i}", prompt=f"question {i}?", model_a="run-a", model_b="run-b",
                  winner="model_a", answer_a="yes", answer_b="no")
    return Vote(**(values | fields))


def test_a_new_database_is_in_wal_mode_and_keeps_every_field(tmp_path):
    store = VoteStore(tmp_path / "votes.db", create=True)
    with sqlite3.connect(tmp_path / "votes.db") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    store.add(vote(1, winner="tie (bothbad)"))
    store.add(vote(2, judge=True, voter="judge:reference", detail='{"a_right": false}'))
    people, judges = store.votes(judges=False), store.votes(people=False)
    assert [(v.voter, v.winner, v.judge) for v in people] == [("v1", "tie (bothbad)", False)]
    assert [(v.voter, v.judge, v.detail) for v in judges] == [("judge:reference", True, '{"a_right": false}')]
    first = people[0]
    assert (first.prompt, first.model_a, first.model_b, first.answer_a, first.answer_b) == (
        "question 1?", "run-a", "run-b", "yes", "no")
    assert first.time > 1.7e9 and store.count() == 2
    assert store.judged("judge:reference") == {("q2", frozenset({"run-a", "run-b"}))}


def test_votes_come_back_in_time_order(tmp_path):
    store = VoteStore(tmp_path / "votes.db", create=True)
    for i, t in enumerate([30.0, 10.0, 20.0]):
        store.add(vote(i, time=t))
    assert [v.voter for v in store.votes()] == ["v1", "v2", "v0"]


def test_a_winner_outside_fastchats_names_is_refused(tmp_path):
    store = VoteStore(tmp_path / "votes.db", create=True)
    with pytest.raises(LabtuneError, match="unknown winner 'left'"):
        store.add(vote(winner="left"))
    assert store.count() == 0


def _write_votes(path: str, writer: int, n: int, start) -> None:
    store = VoteStore(path, create=True)
    start.wait(timeout=60)  # all eight write at the same moment
    for i in range(n):
        store.add(vote(writer * 1000 + i, voter=f"writer-{writer}"))


def test_eight_processes_writing_at_once_lose_no_vote(tmp_path):
    path = str(tmp_path / "votes.db")
    VoteStore(path, create=True)
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(8)
    writers = [context.Process(target=_write_votes, args=(path, w, 25, start)) for w in range(8)]
    for p in writers:
        p.start()
    for p in writers:
        p.join(timeout=120)
        assert p.exitcode == 0
    votes = VoteStore(path).votes()
    assert len(votes) == 200
    assert {v.voter for v in votes} == {f"writer-{w}" for w in range(8)}
    assert len({v.question_id for v in votes}) == 200


def test_answers_are_cached_per_model_key_and_settings(tmp_path):
    store = VoteStore(tmp_path / "votes.db", create=True)
    store.cache_answers("key1", "run-a", {"max_new_tokens": 8}, {"q1": "one", "q2": "two"})
    assert store.cached_answers("key1", {"max_new_tokens": 8}) == {"q1": "one", "q2": "two"}
    assert store.cached_answers("key1", {"max_new_tokens": 9}) == {}
    assert store.cached_answers("key2", {"max_new_tokens": 8}) == {}


def test_missing_corrupt_and_foreign_files_are_one_line_errors(tmp_path):
    with pytest.raises(LabtuneError, match="no such votes database"):
        VoteStore(tmp_path / "missing.db")
    assert not (tmp_path / "missing.db").exists()  # reading never creates it
    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(LabtuneError, match="corrupt.db: not a usable SQLite votes database"):
        VoteStore(corrupt)
    with pytest.raises(LabtuneError, match="not a usable SQLite"):
        VoteStore(corrupt, create=True)
    foreign = tmp_path / "other.db"
    with sqlite3.connect(foreign) as db:
        db.execute("CREATE TABLE things (x)")
    with pytest.raises(LabtuneError, match="not a labtune arena database"):
        VoteStore(foreign)
