"""`labtune models`, `labtune arena`, `labtune leaderboard`: parse, call the library, print."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer


class VoteFilter(str, Enum):
    all = "all"
    people = "people"
    judges = "judges"


def arena(
    runs: Annotated[list[str], typer.Argument(help="Two or more run directories, model directories, .gguf files "
                                                   "or smollm2-135m.", show_default=False)],
    questions: Annotated[Optional[Path], typer.Option(help="Questions: JSONL/JSON of {\"question\", \"answers\"?}, a "
                                                      ".txt of one per line, or a chat file (default: the sample "
                                                      "lab-notes questions).")] = None,
    db: Annotated[Path, typer.Option(help="Votes database (SQLite); created when missing.")] = Path("votes.db"),
    terminal: Annotated[bool, typer.Option("--terminal", help="Vote in this terminal instead of a web page.")] = False,
    judge: Annotated[Optional[str], typer.Option(help="Let a judge vote on every question and pair, then exit: an "
                                                 "OpenAI-compatible URL, a run or model, or `reference` (contains-"
                                                 "match against the questions' answers).")] = None,
    judge_model: Annotated[Optional[str], typer.Option(help="Model name at the judge URL (default: its first).")] = None,
    judge_api_key: Annotated[Optional[str], typer.Option(envvar="LABTUNE_JUDGE_API_KEY", show_envvar=True,
                                                         help="Bearer key for the judge URL.")] = None,
    max_new_tokens: Annotated[int, typer.Option("--max-new-tokens", "--max_new_tokens", min=1,
                                                help="Length cap of each answer.")] = 256,
    voter: Annotated[str, typer.Option(help="Voter name recorded for terminal votes.")] = "terminal",
    host: Annotated[str, typer.Option(help="Address to bind; other than loopback exposes the arena.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535)] = 8001,
    api_key: Annotated[Optional[str], typer.Option(envvar="LABTUNE_API_KEY", show_envvar=True,
                                                   help="Require `Authorization: Bearer KEY` on /api.")] = None,
    max_body_bytes: Annotated[int, typer.Option("--max-body-bytes", min=1024)] = 1 << 16,
    seed: Annotated[Optional[int], typer.Option(help="Seed for the questions and pairs dealt.")] = None,
    device: Annotated[Optional[str], typer.Option(help="cpu, cuda ... for generating answers "
                                                  "(default: cuda if present).")] = None,
) -> None:
    """Which run is better: blind pairwise votes on a web page (or terminal, or by a judge) into a database."""
    from rich.console import Console

    from labtune.arena.battles import Arena
    from labtune.arena.contenders import answer_all, contenders
    from labtune.arena.questions import load_arena_questions
    from labtune.arena.votes import VoteStore

    console = Console(stderr=True, highlight=False)
    entrants = contenders(runs)  # an unknown run stops here, before anything loads
    asked = load_arena_questions(questions)
    judge_obj = None
    if judge is not None:
        from labtune.arena.judge import ReferenceJudge, make_judge

        judge_obj = make_judge(judge, judge_model, judge_api_key)
        if isinstance(judge_obj, ReferenceJudge):  # every question needs its answers, said before any model runs
            judge_obj.check(asked)
    from labtune.serve.http import LOOPBACK_BINDS

    if host not in LOOPBACK_BINDS and not api_key and not terminal and judge is None:
        console.print(f"[yellow]warning:[/] binding {host} without --api-key: anyone who can reach this port can vote")
    store = VoteStore(db, create=True)

    def announce(entrant, missing: int) -> None:
        if missing:
            console.print(f"{entrant.name}: answering {missing} question{'s' if missing != 1 else ''} "
                          f"(cached in {db} for next time)")

    answers = answer_all(store, entrants, asked, max_new_tokens, device, on_model=announce)
    game = Arena(store, [e.name for e in entrants], asked, answers, seed=seed)
    if judge_obj is not None:
        from labtune.arena.judge import judge_all

        counts = judge_all(game, judge_obj, seed=seed or 0)
        console.print(f"{judge_obj.name}: " + ", ".join(f"{n} {k}" for k, n in counts.items())
                      + f"; votes in {db} (see `labtune leaderboard {db}`)")
        return
    if terminal:
        from labtune.arena.terminal import play

        out = Console(highlight=False)
        play(game, out, lambda prompt: out.input(prompt), voter=voter)
        return
    import uvicorn

    from labtune.arena.web import create_app
    from labtune.serve.http import host_allow_list

    app = create_app(game, api_key=api_key, allowed_hosts=host_allow_list(host), max_body_bytes=max_body_bytes)
    shown = f"[{host}]" if ":" in host else host
    console.print(f"arena of {len(entrants)} on http://{shown}:{port}/ ({len(asked)} questions; votes in {db}"
                  f"{'; key required' if api_key else ''})")
    uvicorn.run(app, host=host, port=port, log_level="warning")
    sys.stdout.flush()


def leaderboard(
    db: Annotated[Path, typer.Argument(help="Votes database written by `labtune arena`.", show_default=False)],
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Folder for leaderboard.json and "
                                                   "leaderboard.png (default: the database's folder).")] = None,
    votes: Annotated[VoteFilter, typer.Option(help="Whose votes count: all, people only, or judges only.")] = VoteFilter.all,
    rounds: Annotated[int, typer.Option(min=1, help="Bootstrap resamplings for the 95% intervals.")] = 1000,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap.")] = 0,
) -> None:
    """Elo and Bradley-Terry ratings (95% intervals), win rates and vote counts from arena votes."""
    from rich.console import Console

    from labtune.arena import leaderboard as board_mod
    from labtune.arena.votes import VoteStore

    store = VoteStore(db)
    chosen = store.votes(people=votes in (VoteFilter.all, VoteFilter.people),
                         judges=votes in (VoteFilter.all, VoteFilter.judges))
    board = board_mod.build(chosen, rounds=rounds, seed=seed)
    board["database"], board["filter"] = str(db), votes.value
    console = Console(highlight=False)
    console.print(board_mod.table(board))
    console.print(board_mod.matrix_table(board))
    if any(r["unbounded"] for r in board["rows"]):
        console.print("* won or lost every one of its votes: no finite maximum-likelihood rating")
    json_path, png_path = board_mod.write(board, output if output is not None else db.resolve().parent)
    console.print(f"wrote {json_path} and {png_path}", soft_wrap=True)


def models(
    names: Annotated[Optional[list[str]], typer.Argument(help="HF model directories or .gguf files to add to the "
                                                         "aliases.", show_default=False)] = None,
    probe: Annotated[bool, typer.Option("--probe/--no-probe", help="Measure models present here with a few real "
                                        "training steps (cached); without: computed only.")] = True,
    refresh: Annotated[bool, typer.Option("--refresh", help="Measure again instead of reading the cache.")] = False,
    output: Annotated[Optional[Path], typer.Option("--json", help="Also write the report as JSON here.")] = None,
) -> None:
    """Models to start from: parameters, context, licence, and the memory and time per 1k tokens of full,
    LoRA and QLoRA training and of inference on this machine."""
    import json
    import os

    from rich.console import Console

    from labtune.chooser.report import survey, tables

    console = Console(highlight=False)
    status = Console(stderr=True, highlight=False)
    report = survey(names or [], probe=probe, refresh=refresh,
                    on_probe=lambda name, mode: status.print(f"measuring {name}: {mode} ..."))
    for table in tables(report):
        console.print(table)
    if output is not None:
        tmp = output.with_name(f".{output.name}.tmp{os.getpid()}")
        tmp.write_text(json.dumps(report, indent=1), encoding="utf-8")
        os.replace(tmp, output)
        console.print(f"wrote {output}", soft_wrap=True)


def register(app: typer.Typer, data_app: typer.Typer) -> None:
    app.command("models")(models)
    app.command("arena")(arena)
    app.command("leaderboard")(leaderboard)
