"""Terminal chat with a notes index: notes in the prompt, a dim line naming them, the history kept plain."""

from __future__ import annotations

import io

from rich.console import Console

from labtune.retrieval.index import build
from labtune.samples import LABNOTES
from labtune.serve.chat import ChatSession
from labtune.serve.generate import Sampling

QUESTION = "Who is the presenter of the 4/14/2023 lab meeting?"


def test_an_open_book_answer_reads_the_notes_and_names_them(wrap_engine):
    engine = wrap_engine()
    out = io.StringIO()
    session = ChatSession(engine, Sampling(temperature=0, max_new_tokens=4), Console(file=out, width=200),
                          style="simple", notes=build(LABNOTES).index)
    session.handle(QUESTION)
    fed = engine.tokenizer.decode(engine.model.calls[0])
    assert "Notes that may help:" in fed and "Presenter: Hana Kowalczyk" in fed and fed.count("[2023-04-14.md]") == 1
    assert "notes: 2023-04-14.md" in out.getvalue()
    assert session.messages[0].content == QUESTION  # the history keeps the user's words

    session.handle("!!reset")
    session.handle("hello there")  # nothing in the notes matches: closed book, no notes line
    second = engine.tokenizer.decode(engine.model.calls[-session_steps(engine)])
    assert second.count("Notes that may help:") == 0
    assert out.getvalue().count("notes:") == 1


def session_steps(engine) -> int:
    """Model calls of the last generation (its prefill is the first of them)."""
    calls = engine.model.calls
    prefills = [i for i, c in enumerate(calls) if len(c) > 1]
    return len(calls) - prefills[-1]


def test_closed_book_session_sends_the_question_alone(wrap_engine):
    engine = wrap_engine()
    session = ChatSession(engine, Sampling(temperature=0, max_new_tokens=2), Console(file=io.StringIO()),
                          style="simple")
    session.handle(QUESTION)
    assert "Notes that may help" not in engine.tokenizer.decode(engine.model.calls[0])
