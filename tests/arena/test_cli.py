"""`labtune arena` and `labtune leaderboard` end to end; bad input is one `error:` line and exit code 2."""

from __future__ import annotations

import json

import pytest

from clirun import run_cli
from fastapi.testclient import TestClient


def assert_one_error_line(code: int, err: str, *fragments: str):
    assert code == 2, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines[0].startswith("error: ") and "Traceback" not in err, err
    for fragment in fragments:
        assert fragment in " ".join(lines), err


@pytest.fixture
def questions_file(tmp_path):
    path = tmp_path / "questions.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in [
        {"question": "Who presented on 4/14/2023?", "answers": ["Ada Lovelace"]},
        {"question": "What was the topic?", "answers": ["sediment cores"]}]) + "\n")
    return path


def test_missing_and_corrupt_databases_are_one_line_errors(tmp_path, capsys, monkeypatch):
    code, _, err = run_cli(["leaderboard", tmp_path / "missing.db"], capsys, monkeypatch)
    assert_one_error_line(code, err, "missing.db", "no such votes database")
    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(b"\x00garbage" * 512)
    code, _, err = run_cli(["leaderboard", corrupt], capsys, monkeypatch)
    assert_one_error_line(code, err, "corrupt.db", "not a usable SQLite votes database")
    assert not (tmp_path / "leaderboard.json").exists()


def test_unknown_runs_and_bad_questions_are_one_line_errors(tiny_model_dir, tmp_path, capsys, monkeypatch):
    code, _, err = run_cli(["arena", tiny_model_dir, "runs/none", "--db", tmp_path / "v.db"], capsys, monkeypatch)
    assert_one_error_line(code, err, "'runs/none' not found")
    code, _, err = run_cli(["arena", tiny_model_dir, "--db", tmp_path / "v.db"], capsys, monkeypatch)
    assert_one_error_line(code, err, "at least two")
    bad = tmp_path / "q.jsonl"
    bad.write_text('{"question": "ok"}\n{"question": ""}\n')
    code, _, err = run_cli(["arena", tiny_model_dir, "smollm2-135m", "--questions", bad, "--db", tmp_path / "v.db"],
                           capsys, monkeypatch)
    assert_one_error_line(code, err, "q.jsonl", "record 1", "field question")
    plain = tmp_path / "q.txt"
    plain.write_text("Who presented?\nWho took notes?\n")
    code, _, err = run_cli(["arena", tiny_model_dir, "smollm2-135m", "--questions", plain, "--judge", "reference",
                            "--db", tmp_path / "v.db"], capsys, monkeypatch)
    assert_one_error_line(code, err, "reference judge needs reference answers", "Who presented?")
    assert not (tmp_path / "v.db").exists()  # refused before the database is made


def test_arena_questions_from_a_spreadsheet_with_and_without_answers(tmp_path):
    from labtune.arena.questions import load_arena_questions

    path = tmp_path / "q.csv"
    path.write_text("Question,Answers\nWho presented?,Ana Lima | Lima\nWhat did you like?,\n")
    first, second = load_arena_questions(path)
    assert (first.text, first.answers) == ("Who presented?", ["Ana Lima", "Lima"])
    assert (second.text, second.answers) == ("What did you like?", [])


def test_reference_judge_then_leaderboard(tiny_model_dir, tiny_vicuna_run, questions_file, tmp_path, capsys,
                                          monkeypatch):
    db = tmp_path / "votes.db"
    code, _, err = run_cli(["arena", tiny_model_dir, tiny_vicuna_run, "--questions", questions_file, "--db", db,
                            "--judge", "reference", "--max-new-tokens", "4"], capsys, monkeypatch)
    assert code == 0, err
    assert "judge:reference" in err and "answering 2 questions" in err
    code, out, err = run_cli(["leaderboard", db, "-o", tmp_path / "board", "--rounds", "50"], capsys, monkeypatch)
    assert code == 0, err
    assert "Bradley-Terry" in out and "2 votes" in out and "95% CI" in out
    board = json.loads((tmp_path / "board" / "leaderboard.json").read_text())
    assert board["judge_votes"] == 2 and len(board["rows"]) == 2 and board["filter"] == "all"
    assert (tmp_path / "board" / "leaderboard.png").is_file()
    code, _, err = run_cli(["leaderboard", db, "--votes", "people"], capsys, monkeypatch)
    assert_one_error_line(code, err, "no votes")
    # a second judging run finds the cached answers and the pairs already judged
    code, _, err = run_cli(["arena", tiny_model_dir, tiny_vicuna_run, "--questions", questions_file, "--db", db,
                            "--judge", "reference", "--max-new-tokens", "4"], capsys, monkeypatch)
    assert code == 0 and "answering" not in err and "0 a, 0 b, 0 tie, 0 bothbad" in err


def test_the_web_arena_binds_loopback_with_the_host_allow_list(tiny_model_dir, tiny_vicuna_run, questions_file,
                                                               tmp_path, capsys, monkeypatch):
    import uvicorn

    seen = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.update(app=app, **kw))
    monkeypatch.delenv("LABTUNE_API_KEY", raising=False)
    code, _, err = run_cli(["arena", tiny_model_dir, tiny_vicuna_run, "--questions", questions_file,
                            "--db", tmp_path / "v.db", "--max-new-tokens", "4"], capsys, monkeypatch)
    assert code == 0, err
    assert (seen["host"], seen["port"]) == ("127.0.0.1", 8001)
    local = TestClient(seen["app"], base_url="http://127.0.0.1:8001")
    match = local.get("/api/match").json()
    assert match["question"] in ("Who presented on 4/14/2023?", "What was the topic?")
    assert local.get("/", headers={"Host": "attacker.example"}).status_code == 403


def test_the_terminal_arena_records_votes(tiny_model_dir, tiny_vicuna_run, questions_file, tmp_path, capsys,
                                          monkeypatch):
    db = tmp_path / "v.db"
    code, out, err = run_cli(["arena", tiny_model_dir, tiny_vicuna_run, "--questions", questions_file, "--db", db,
                              "--terminal", "--voter", "jo", "--max-new-tokens", "4"], capsys, monkeypatch,
                             stdin="b\nt\nq\n")
    assert code == 0, err
    assert "Answer A" in out and "A was" in out and "2 votes recorded" in out
    from labtune.arena.votes import VoteStore

    assert [(v.voter, v.winner) for v in VoteStore(db).votes()] == [("jo", "model_b"), ("jo", "tie")]


def test_models_lists_the_aliases_and_the_given_models(tiny_model_dir, tmp_path, capsys, monkeypatch):
    out_json = tmp_path / "models.json"
    code, out, err = run_cli(["models", tiny_model_dir, "--no-probe", "--json", out_json], capsys, monkeypatch)
    assert code == 0, err
    assert "smollm2-135m" in out and "apache-2.0" in out and "computed" in out
    report = json.loads(out_json.read_text())
    assert [m["card"]["name"] for m in report["models"]] == ["smollm2-135m", str(tiny_model_dir)]
    assert report["machine"]["matmul_gflops"] > 0
    code, _, err = run_cli(["models", tmp_path / "nothing-here"], capsys, monkeypatch)
    assert_one_error_line(code, err, "nothing-here' not found")
