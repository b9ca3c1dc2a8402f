"""Terminal chat: streaming answers, multi-turn history, `!!` commands, Ctrl-C stops one answer.

`ChatSession` holds the history and does the work; `repl` only reads lines and hands them over,
so scripts and tests drive the same code as a person at a terminal.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Callable, Iterable

from rich.console import Console
from rich.live import Live
from rich.markdown import Markdown

from labtune.data.conversation import Message
from labtune.retrieval import DEFAULT_K, NotesIndex, open_book
from labtune.serve.generate import Engine, Sampling

HELP = "commands: !!exit  !!reset  !!remove  !!regen  !!save FILE  !!load FILE  (Ctrl-C stops an answer)"


class ChatSession:
    def __init__(self, engine: Engine, sampling: Sampling, console: Console, system: str | None = None,
                 style: str = "rich", debug: bool = False, notes: NotesIndex | None = None, notes_k: int = DEFAULT_K):
        self.engine, self.sampling, self.console = engine, sampling, console
        self.system, self.style, self.debug = system, style, debug
        self.notes, self.notes_k = notes, notes_k  # open book when an index is given
        self.messages: list[Message] = self._fresh()

    def _fresh(self) -> list[Message]:
        return [Message("system", self.system)] if self.system else []

    # --- one line of input -----------------------------------------------------------------------

    def handle(self, line: str) -> bool:
        """Act on one line of input; False means the session should end."""
        command, _, arg = line.strip().partition(" ")
        arg = arg.strip()
        if command == "!!exit":
            return False
        if command == "!!reset":
            self.messages = self._fresh()
            self.console.print("[dim](history cleared)[/]")
        elif command == "!!remove":
            self._remove_last_exchange()
        elif command == "!!regen":
            if self.messages and self.messages[-1].role == "assistant":
                self.messages.pop()
                self.answer()
            else:
                self.console.print("[dim](nothing to regenerate)[/]")
        elif command == "!!save":
            self._save(arg)
        elif command == "!!load":
            self._load(arg)
        elif command.startswith("!!"):
            self.console.print(f"[yellow]unknown command {command}[/]; {HELP}", highlight=False)
        elif line.strip():
            self.messages.append(Message("user", line.strip()))
            self.answer()
        return True

    def _remove_last_exchange(self) -> None:
        turns = [i for i, m in enumerate(self.messages) if m.role == "user"]
        if not turns:
            self.console.print("[dim](nothing to remove)[/]")
            return
        del self.messages[turns[-1]:]
        self.console.print("[dim](removed the last exchange)[/]")

    def _save(self, arg: str) -> None:
        if not arg:
            self.console.print("[yellow]usage: !!save FILE[/]")
            return
        path = Path(arg).expanduser()
        data = json.dumps({"messages": [m.to_dict() for m in self.messages]}, ensure_ascii=False, indent=2)
        try:
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(data + "\n")
            os.replace(tmp, path)
        except OSError as exc:
            self.console.print(f"[red]cannot save {path}: {exc.strerror}[/]", highlight=False)
            return
        self.console.print(f"[dim](saved {len(self.messages)} messages to {path})[/]", highlight=False)

    def _load(self, arg: str) -> None:
        """Load OpenAI-style `{"messages": [...]}` (what !!save writes) or a bare list of messages."""
        if not arg:
            self.console.print("[yellow]usage: !!load FILE[/]")
            return
        path = Path(arg).expanduser()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            records = data["messages"] if isinstance(data, dict) else data
            messages = []
            for i, m in enumerate(records):
                if not isinstance(m, dict) or m.get("role") not in ("system", "user", "assistant") \
                        or not isinstance(m.get("content"), str):
                    raise ValueError(f"messages[{i}] needs a role (system/user/assistant) and a string content")
                messages.append(Message(m["role"], m["content"]))
        except OSError as exc:
            self.console.print(f"[red]cannot read {path}: {exc.strerror}[/]", highlight=False)
            return
        except (ValueError, KeyError, TypeError) as exc:
            self.console.print(f"[red]{path}: not a saved chat: {exc}[/]", highlight=False)
            return
        self.messages = messages
        self.console.print(f"[dim](loaded {len(messages)} messages from {path})[/]", highlight=False)

    # --- answering -------------------------------------------------------------------------------

    def answer(self) -> str:
        """Stream the assistant's next turn and add it to the history (partial if interrupted).

        Open book: the notes retrieved for the last question go into the prompt only; the history
        keeps the user's own words, so each turn retrieves afresh.
        """
        prompt, sources = open_book(self.messages, self.notes, self.notes_k)
        prompt, dropped = self.engine.fit_history(prompt, self.sampling.max_new_tokens)
        if dropped:
            system = 1 if self.messages and self.messages[0].role == "system" else 0
            del self.messages[system:system + dropped]  # the prompt differs only in its last user turn
            self.console.print(f"[yellow](history trimmed: the {dropped} oldest messages no longer fit the "
                               f"{self.engine.context_length}-token context)[/]")
        prompt_tokens = len(self.engine.chat_prompt_ids(prompt))
        if prompt_tokens + 1 > self.engine.context_length:
            self.messages.pop()  # a question that cannot be answered stays out of the history
            with_notes = f" and {len(sources)} notes" if sources else ""
            self.console.print(f"[red]that message is {prompt_tokens} tokens with the prompt{with_notes}; the "
                               f"model's context is {self.engine.context_length}[/]")
            return ""
        if sources:
            self.console.print(f"[dim]notes: {', '.join(sources)}[/]", highlight=False)
        generation = self.engine.chat(prompt, self.sampling)
        text, interrupted = self._show(generation)
        self.messages.append(Message("assistant", text))
        if interrupted:
            generation.finish_reason = "cancelled"
            self.console.print("[dim](stopped)[/]")
        if self.debug:
            self.console.print(f"[dim]{generation.prompt_tokens} prompt tokens, {generation.completion_tokens} "
                               f"generated, {generation.tokens_per_second:.1f} tokens/s, "
                               f"finish: {generation.finish_reason}[/]")
        return text

    def _show(self, pieces: Iterable[str]) -> tuple[str, bool]:
        text = ""
        try:
            if self.style == "rich":
                with Live(Markdown(""), console=self.console, refresh_per_second=12,
                          vertical_overflow="visible") as live:
                    for piece in pieces:
                        text += piece
                        live.update(Markdown(text))
            else:
                for piece in pieces:
                    text += piece
                    self.console.file.write(piece)
                    self.console.file.flush()
                self.console.file.write("\n")
        except KeyboardInterrupt:  # Ctrl-C ends this answer; the session goes on
            if self.style != "rich":
                self.console.file.write("\n")
            return text, True
        return text, False


def repl(session: ChatSession, read: Callable[[], str]) -> None:
    """Read lines until !!exit or end of input; Ctrl-C at the prompt only clears the line."""
    session.console.print(f"[dim]labtune chat with {session.engine.name}. {HELP}[/]", highlight=False)
    while True:
        try:
            line = read()
        except KeyboardInterrupt:
            session.console.print("\n[dim](!!exit or Ctrl-D to quit)[/]")
            continue
        except EOFError:
            session.console.print()
            return
        if not session.handle(line):
            return


def answer_prompts(session: ChatSession, prompts: Iterable[str]) -> None:
    """`--prompt` / `--prompt-file`: each prompt is answered on its own, from a fresh history."""
    for prompt in prompts:
        if not prompt.strip():
            continue
        session.messages = session._fresh() + [Message("user", prompt.strip())]
        session.answer()
