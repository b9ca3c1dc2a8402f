"""The votes database: one SQLite file, safe with several voters (threads or processes) at once.

WAL journal (readers never block the writer), a busy timeout (a writer waits for another instead of
failing), one short `BEGIN IMMEDIATE` transaction per write, and one connection per call (sqlite3
connections are not shared between threads). The same file caches the answers each model gave, so a
restarted arena does not generate them again.

Table `votes`, one row per vote:
  id, time (Unix seconds), voter, question_id, prompt (the question's text), model_a (the answer shown
  first, "A"), model_b, answer_a, answer_b, winner (FastChat's names: model_a | model_b | tie |
  tie (bothbad)), judge (1 when an automatic judge voted, 0 for a person), detail (the judge's
  verdicts in both orders).
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from labtune.arena.ratings import WINNERS, Battle
from labtune.errors import LabtuneError

SCHEMA_VERSION = "1"
BUSY_TIMEOUT_S = 30.0

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS arena_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT OR IGNORE INTO arena_meta VALUES ('schema', '{SCHEMA_VERSION}');
CREATE TABLE IF NOT EXISTS votes (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  time REAL NOT NULL,
  voter TEXT NOT NULL,
  question_id TEXT NOT NULL,
  prompt TEXT NOT NULL,
  model_a TEXT NOT NULL,
  model_b TEXT NOT NULL,
  answer_a TEXT NOT NULL DEFAULT '',
  answer_b TEXT NOT NULL DEFAULT '',
  winner TEXT NOT NULL CHECK (winner IN ({', '.join(repr(w) for w in WINNERS)})),
  judge INTEGER NOT NULL DEFAULT 0 CHECK (judge IN (0, 1)),
  detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS votes_time ON votes (time, id);
CREATE TABLE IF NOT EXISTS answers (
  model_key TEXT NOT NULL,
  question_id TEXT NOT NULL,
  settings TEXT NOT NULL,
  model TEXT NOT NULL,
  answer TEXT NOT NULL,
  time REAL NOT NULL,
  PRIMARY KEY (model_key, question_id, settings)
);
"""


@dataclass
class Vote:
    voter: str
    question_id: str
    prompt: str
    model_a: str
    model_b: str
    winner: str
    answer_a: str = ""
    answer_b: str = ""
    judge: bool = False
    detail: str = ""
    time: float = field(default_factory=time.time)
    id: int | None = None

    @property
    def battle(self) -> Battle:
        return Battle(self.model_a, self.model_b, self.winner)


COLUMNS = ("id", "time", "voter", "question_id", "prompt", "model_a", "model_b", "answer_a", "answer_b",
           "winner", "judge", "detail")


def _database_error(path: Path, exc: sqlite3.Error) -> LabtuneError:
    if isinstance(exc, sqlite3.OperationalError):  # locked past the busy timeout, unreadable, disk full
        return LabtuneError(f"{path}: {exc}")
    return LabtuneError(f"{path}: not a usable SQLite votes database ({exc})")


class VoteStore:
    """Open (and with `create`, make) a votes database. Read-only use never creates or changes it."""

    def __init__(self, path: str | Path, create: bool = False):
        self.path = Path(path)
        self.read_only = not create
        if not create and not self.path.is_file():
            raise LabtuneError(f"{self.path}: no such votes database")
        if create:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._connect() as db:
                try:
                    db.execute("PRAGMA journal_mode=WAL")  # persistent: set once, kept in the file
                    db.executescript(SCHEMA)
                except sqlite3.DatabaseError as exc:
                    raise _database_error(self.path, exc) from None
        self._check_schema()

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            if self.read_only:
                db = sqlite3.connect(f"file:{self.path.resolve()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S)
            else:
                db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        except sqlite3.Error as exc:
            raise _database_error(self.path, exc) from None
        try:
            db.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
            yield db
        except sqlite3.DatabaseError as exc:  # "file is not a database", "database disk image is malformed"
            raise _database_error(self.path, exc) from None
        finally:
            db.close()

    def _check_schema(self) -> None:
        with self._connect() as db:
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if not {"arena_meta", "votes"} <= tables:
                raise LabtuneError(f"{self.path}: not a labtune arena database (no votes table); "
                                   "votes databases are made by `labtune arena`")
            version = db.execute("SELECT value FROM arena_meta WHERE key='schema'").fetchone()
            if version is None or version[0] != SCHEMA_VERSION:
                raise LabtuneError(f"{self.path}: arena database schema {version and version[0]!r}; "
                                   f"this labtune reads schema {SCHEMA_VERSION!r}")

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One short transaction that takes the write lock at once (no lock upgrade, so no deadlock)."""
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    # --- votes ---------------------------------------------------------------------------------

    def add(self, vote: Vote) -> int:
        if vote.winner not in WINNERS:
            raise LabtuneError(f"unknown winner {vote.winner!r}: expected one of {', '.join(WINNERS)}")
        with self._write() as db:
            cursor = db.execute(
                f"INSERT INTO votes ({', '.join(COLUMNS[1:])}) VALUES ({', '.join('?' * (len(COLUMNS) - 1))})",
                (vote.time, vote.voter, vote.question_id, vote.prompt, vote.model_a, vote.model_b, vote.answer_a,
                 vote.answer_b, vote.winner, int(vote.judge), vote.detail))
            vote.id = cursor.lastrowid
        return vote.id

    def votes(self, people: bool = True, judges: bool = True) -> list[Vote]:
        """Votes in time order (ties by id), people's and/or judges'."""
        kinds = [k for k, wanted in ((0, people), (1, judges)) if wanted]
        if not kinds:
            return []
        with self._connect() as db:
            rows = db.execute(f"SELECT {', '.join(COLUMNS)} FROM votes WHERE judge IN ({', '.join('?' * len(kinds))}) "
                              "ORDER BY time, id", kinds).fetchall()
        votes = []
        for row in rows:
            values = dict(zip(COLUMNS, row))
            if values["winner"] not in WINNERS:
                raise LabtuneError(f"{self.path}: vote {values['id']}: unknown winner {values['winner']!r}")
            values["judge"] = bool(values["judge"])
            votes.append(Vote(**values))
        return votes

    def count(self) -> int:
        with self._connect() as db:
            return db.execute("SELECT count(*) FROM votes").fetchone()[0]

    def judged(self, voter: str) -> set[tuple[str, frozenset[str]]]:
        """(question_id, {model, model}) pairs this judge has already voted on."""
        with self._connect() as db:
            rows = db.execute("SELECT question_id, model_a, model_b FROM votes WHERE judge=1 AND voter=?",
                              (voter,)).fetchall()
        return {(q, frozenset((a, b))) for q, a, b in rows}

    # --- answer cache --------------------------------------------------------------------------

    def cached_answers(self, model_key: str, settings: dict) -> dict[str, str]:
        """question_id -> answer, for answers generated by this model (key) with these settings."""
        with self._connect() as db:
            rows = db.execute("SELECT question_id, answer FROM answers WHERE model_key=? AND settings=?",
                              (model_key, _settings_key(settings))).fetchall()
        return dict(rows)

    def cache_answers(self, model_key: str, model: str, settings: dict, answers: dict[str, str]) -> None:
        now = time.time()
        with self._write() as db:
            db.executemany("INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?, ?, ?)",
                           [(model_key, qid, _settings_key(settings), model, text, now) for qid, text in answers.items()])


def _settings_key(settings: dict) -> str:
    return json.dumps(settings, sort_keys=True)
