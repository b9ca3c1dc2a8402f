"""The arena in a terminal: the web page's flow (question, two anonymous answers, vote, names revealed,
next question) with rich panels and one-letter votes."""

from __future__ import annotations

from collections.abc import Callable

from rich.columns import Columns
from rich.console import Console
from rich.panel import Panel
from rich.text import Text

from labtune.arena.battles import Arena, check_voter

KEYS = {"a": "a", "b": "b", "t": "tie", "x": "bothbad"}
PROMPT = "[bold]Which is better?[/] [a] A  [b] B  [t] tie  [x] both bad  [s] skip  [q] quit: "
SAID = {"a": "A is better", "b": "B is better", "tie": "a tie", "bothbad": "both are bad"}


def play(arena: Arena, console: Console, ask: Callable[[str], str], voter: str = "terminal",
         rounds: int | None = None) -> int:
    """Deal matches until the voter quits (q, end of input) or `rounds` votes are in; returns the votes."""
    voter = check_voter(voter)
    votes = 0
    while rounds is None or votes < rounds:
        match = arena.deal()
        console.rule()
        console.print(Panel(Text(match.question.text), title="Question", title_align="left"))
        console.print(Columns([Panel(Text(match.answer_a), title="Answer A", title_align="left"),
                               Panel(Text(match.answer_b), title="Answer B", title_align="left")],
                              equal=True, expand=True))
        while True:
            try:
                key = ask(PROMPT).strip().lower()[:1]
            except EOFError:
                key = "q"
            if key in KEYS or key in ("s", "q"):
                break
            console.print("type a, b, t, x, s or q")
        if key == "q":
            break
        if key == "s":
            continue
        choice = KEYS[key]
        match, _ = arena.vote(match.id, choice, voter)
        votes += 1
        console.print(f"Vote recorded ({SAID[choice]}). A was [bold]{match.model_a}[/], B was [bold]{match.model_b}[/].",
                      highlight=False)
    console.print(f"{votes} vote{'s' if votes != 1 else ''} recorded in {arena.store.path}", highlight=False)
    return votes
