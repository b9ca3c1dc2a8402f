"""Terminal chat: history, !! commands, Ctrl-C, trimming, and the CLI's --prompt/--prompt-file."""

from __future__ import annotations

import copy
import io
import json

import pytest
from rich.console import Console
from typer.testing import CliRunner

from labtune.data.conversation import Message
from labtune.serve.chat import ChatSession, repl
from labtune.serve.generate import Sampling

GREEDY = Sampling(temperature=0, max_new_tokens=6)


def session_on(engine, style="simple", **kw) -> tuple[ChatSession, io.StringIO]:
    out = io.StringIO()
    return ChatSession(engine, GREEDY, Console(file=out, width=100), style=style, **kw), out


def roles(session) -> list[str]:
    return [m.role for m in session.messages]


def test_multi_turn_history_is_sent_back_each_turn(wrap_engine):
    engine = wrap_engine()
    session, out = session_on(engine, system="Be brief.")
    session.handle("first question")
    session.handle("second question")
    assert roles(session) == ["system", "user", "assistant", "user", "assistant"]
    # the second answer's prompt is exactly the template's prompt over the whole history
    prompts = [call for call in engine.model.calls if len(call) > 1]
    assert len(prompts) == 2
    assert prompts[-1] == engine.chat_prompt_ids(session.messages[:4])
    fed = engine.tokenizer.decode(prompts[-1])
    assert "first question" in fed and "second question" in fed
    assert session.messages[2].content in out.getvalue()


def test_reset_remove_and_regen(wrap_engine):
    engine = wrap_engine()
    session, out = session_on(engine, system="Be brief.")
    session.handle("one")
    session.handle("two")
    session.handle("!!remove")
    assert roles(session) == ["system", "user", "assistant"]
    first_answer = session.messages[-1].content
    calls = len([c for c in engine.model.calls if len(c) > 1])
    session.handle("!!regen")
    assert roles(session) == ["system", "user", "assistant"]
    assert session.messages[-1].content == first_answer  # greedy: same answer, generated again
    assert len([c for c in engine.model.calls if len(c) > 1]) == calls + 1
    session.handle("!!reset")
    assert roles(session) == ["system"]
    assert session.handle("!!exit") is False


def test_save_then_load_restores_the_conversation(wrap_engine, tmp_path):
    session, out = session_on(wrap_engine())
    session.handle("remember this")
    saved = list(session.messages)
    path = tmp_path / "chat.json"
    session.handle(f"!!save {path}")
    assert json.loads(path.read_text())["messages"] == [m.to_dict() for m in saved]
    session.handle("!!reset")
    session.handle(f"!!load {path}")
    assert session.messages == saved


def test_load_of_a_bad_file_names_the_problem_and_keeps_the_session(wrap_engine, tmp_path):
    session, out = session_on(wrap_engine())
    session.handle("keep me")
    before = list(session.messages)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"messages": [{"role": "robot", "content": "x"}]}))
    assert session.handle(f"!!load {bad}") is True
    assert session.handle(f"!!load {tmp_path / 'missing.json'}") is True
    assert session.messages == before
    text = out.getvalue()
    assert "messages[0]" in text and "missing.json" in text


def test_ctrl_c_stops_the_answer_not_the_session(wrap_engine):
    engine = wrap_engine()
    real_model = engine.model

    class InterruptAfterThreeTokens:
        def __init__(self):
            self.steps = 0

        def __call__(self, **kwargs):
            self.steps += 1
            if self.steps == 4:
                raise KeyboardInterrupt
            return real_model(**kwargs)

        def __getattr__(self, name):
            return getattr(real_model, name)

    engine.model = InterruptAfterThreeTokens()
    session, out = session_on(engine)
    session.sampling = Sampling(temperature=0, max_new_tokens=50)
    session.handle("tell me a long story")
    assert roles(session) == ["user", "assistant"]
    assert "(stopped)" in out.getvalue()
    partial = session.messages[-1].content
    engine.model = real_model
    full = engine.chat([Message("user", "tell me a long story")], Sampling(temperature=0, max_new_tokens=50)).run()
    assert full.text.startswith(partial) and len(partial) < len(full.text)
    assert session.handle("still here?") is True and roles(session)[-2:] == ["user", "assistant"]


def test_ctrl_c_at_the_prompt_does_not_end_the_session(wrap_engine):
    session, out = session_on(wrap_engine())
    lines = iter([KeyboardInterrupt, "hello", "!!exit", "never read"])

    def read():
        line = next(lines)
        if line is KeyboardInterrupt:
            raise KeyboardInterrupt
        return line

    repl(session, read)
    assert roles(session) == ["user", "assistant"]
    assert next(lines) == "never read"


def test_long_history_is_trimmed_with_a_notice(wrap_engine):
    engine = wrap_engine()
    session, out = session_on(engine, system="Be brief.")
    for i in range(6):
        session.messages += [Message("user", f"old question {i} " * 4), Message("assistant", f"old answer {i} " * 4)]
    engine = copy.copy(engine)
    engine.context_length = len(engine.chat_prompt_ids(session.messages[:1] + session.messages[-2:])) + 20
    session.engine = engine
    session.handle("new question")
    assert "history trimmed" in out.getvalue()
    assert session.messages[0].role == "system" and session.messages[-2].content == "new question"
    assert len(session.messages) < 15


def test_a_message_longer_than_the_context_is_refused_not_sent(wrap_engine):
    engine = copy.copy(wrap_engine())
    engine.context_length = 60
    session, out = session_on(engine)
    session.handle("word " * 100)
    assert session.messages == [] and engine.model.calls == []
    assert "the model's context is 60" in out.getvalue()


def test_rich_style_renders_and_debug_shows_speed(wrap_engine):
    session, out = session_on(wrap_engine(), style="rich", debug=True)
    session.handle("hi")
    assert "tokens/s" in out.getvalue() and "prompt tokens" in out.getvalue()


@pytest.fixture(scope="module")
def cli_app():
    from labtune.cli import app

    return app


def test_cli_prompt_answers_once_with_the_engines_greedy_text(cli_app, tiny_model_dir, tiny_engine):
    result = CliRunner().invoke(cli_app, ["chat", str(tiny_model_dir), "--prompt", "Who presented?",
                                          "--temperature", "0", "--max-new-tokens", "8", "--device", "cpu",
                                          "--dtype", "float32"])  # the engine below is float32
    assert result.exit_code == 0, result.output
    expected = tiny_engine.chat([Message("user", "Who presented?")], Sampling(temperature=0, max_new_tokens=8)).run()
    assert result.output == expected.text + "\n"


def test_cli_prompt_file_answers_each_line(cli_app, tiny_model_dir, tmp_path):
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("first\n\nsecond\n")
    result = CliRunner().invoke(cli_app, ["chat", str(tiny_model_dir), "--prompt-file", str(prompts),
                                          "--temperature", "0", "--max-new-tokens", "3", "--debug"])
    assert result.exit_code == 0, result.output
    assert result.output.count("prompt tokens") == 2  # the blank line is skipped


def test_cli_missing_prompt_file_is_a_user_error(cli_app, tiny_model_dir, tmp_path):
    from labtune.errors import LabtuneError

    result = CliRunner().invoke(cli_app, ["chat", str(tiny_model_dir), "--prompt-file", str(tmp_path / "nope.txt")])
    assert isinstance(result.exception, LabtuneError) and "nope.txt" in str(result.exception)
