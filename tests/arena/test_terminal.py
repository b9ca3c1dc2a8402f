"""The terminal arena: the page's flow with one-letter votes."""

from __future__ import annotations

import io

from rich.console import Console

from labtune.arena.terminal import play


def test_terminal_votes_reveal_names_skip_and_quit(arena):
    keys = iter(["z", "a", "s", "X", "tie!", "q"])
    out = io.StringIO()
    votes = play(arena, Console(file=out, width=100), lambda prompt: next(keys), voter="Jane")
    recorded = arena.store.votes()
    assert votes == 3 and [v.winner for v in recorded] == ["model_a", "tie (bothbad)", "tie"]
    assert {v.voter for v in recorded} == {"Jane"}
    text = out.getvalue()
    assert "type a, b, t, x, s or q" in text
    assert f"A was {recorded[0].model_a}, B was {recorded[0].model_b}" in text
    assert "Answer A" in text and "Answer B" in text and "3 votes recorded" in text


def test_end_of_input_ends_the_session(arena):
    def eof(prompt):
        raise EOFError

    assert play(arena, Console(file=io.StringIO()), eof) == 0
