"""`--to ollama`: the GGUF plus a Modelfile whose TEMPLATE (a Go template) and stop parameters are
the run's template.

The Go template is not hand-written per template name: it is read off the run's template itself by
rendering probe conversations with placeholder texts and cutting out the fixed pieces between them
(system prefix/suffix, user prefix, what follows a user turn, assistant prefix/suffix, the default
system message). The pieces are then re-assembled the way Ollama will run them and compared with the
run's own rendering of several conversations; a template that does not decompose this way (one whose
turns depend on their position, say) is refused rather than exported subtly wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from labtune.data.conversation import Conversation, Message
from labtune.data.templates import ChatTemplate
from labtune.errors import LabtuneError
from labtune.export.gguf_writer import write_gguf
from labtune.export.output import staged
from labtune.export.source import Source

MODEL_FILE = "model.gguf"
S, U1, A1, U2 = "\x00SYSTEM\x00", "\x00USER1\x00", "\x00ASSISTANT1\x00", "\x00USER2\x00"


@dataclass(frozen=True)
class Pieces:
    """A template as fixed texts around each message: what Ollama's Go template can express."""

    system_prefix: str
    system_suffix: str
    default_system: str | None
    user_prefix: str
    after_user: str  # the end of a user turn and the generation prompt
    assistant_prefix: str  # between the generation prompt and the answer (vicuna: one space)
    assistant_suffix: str

    def render(self, messages: list[Message]) -> str:
        """What Ollama's template below produces for `messages`, followed by a generation prompt."""
        system = next((m.content for m in messages if m.role == "system"), self.default_system)
        text = f"{self.system_prefix}{system}{self.system_suffix}" if system else ""
        for m in messages:
            if m.role == "user":
                text += f"{self.user_prefix}{m.content}{self.after_user}"
            elif m.role == "assistant":
                text += f"{self.assistant_prefix}{m.content}{self.assistant_suffix}"
        return text

    def go_template(self) -> str:
        e = _go_text
        return ("{{ if .System }}" + e(self.system_prefix) + "{{ .System }}" + e(self.system_suffix) + "{{ end }}"
                "{{ range .Messages }}{{ if eq .Role \"user\" }}" + e(self.user_prefix) + "{{ .Content }}"
                + e(self.after_user) + "{{ else if eq .Role \"assistant\" }}" + e(self.assistant_prefix)
                + "{{ .Content }}" + e(self.assistant_suffix) + "{{ end }}{{ end }}")


def _go_text(text: str) -> str:
    """Literal text inside a Go template: only an opening `{{` needs quoting."""
    return text.replace("{{", '{{ "{{" }}')


def _cut(text: str, before: str, after: str, what: str) -> str:
    """The text between the placeholders `before` and `after` ('' for the start or the end)."""
    start = text.find(before) if before else 0
    end = text.find(after, start + len(before)) if after else len(text)
    if start < 0 or end < 0:
        raise ValueError(what)
    return text[start + len(before):end]


def pieces_of(template: ChatTemplate) -> Pieces:
    msg = Message
    try:
        with_system = template.prompt([msg("system", S), msg("user", U1)])
        plain = template.prompt([msg("user", U1)])
        one_turn = template.render(Conversation([msg("user", U1), msg("assistant", A1)]))
        two_turns = template.prompt([msg("user", U1), msg("assistant", A1), msg("user", U2)])
        after_user = _cut(plain, U1, "", "generation prompt")
        between = _cut(one_turn, U1, A1, "assistant turn")
        if not between.startswith(after_user):
            raise ValueError("assistant prefix")
        assistant_suffix = _cut(one_turn, A1, "", "assistant suffix")
        user_prefix = _cut(two_turns, A1 + assistant_suffix, U2, "user prefix")
        system_prefix = _cut(with_system, "", S, "system prefix")
        system_then_user = _cut(with_system, S, U1, "system suffix")
        head = _cut(plain, "", U1, "default system")
        if not system_then_user.endswith(user_prefix) or not head.endswith(user_prefix):
            raise ValueError("user prefix")
        system_suffix = system_then_user[: len(system_then_user) - len(user_prefix)]
        head = head[: len(head) - len(user_prefix)]
        default = None
        if head:
            if not (head.startswith(system_prefix) and head.endswith(system_suffix)):
                raise ValueError("default system")
            default = head[len(system_prefix): len(head) - len(system_suffix)]
    except (ValueError, LabtuneError) as exc:
        raise LabtuneError(f"template {template.name!r} cannot be written as an Ollama TEMPLATE "
                           f"(its {exc} does not decompose into fixed texts)") from None
    pieces = Pieces(system_prefix, system_suffix, default, user_prefix, after_user,
                    between[len(after_user):], assistant_suffix)
    _check(pieces, template)
    return pieces


def _check(pieces: Pieces, template: ChatTemplate) -> None:
    """The pieces must reproduce the run's own rendering, with and without a system message."""
    m = Message
    turns = [m("user", "Who presented on 4/14/2023?"), m("assistant", "Dana Ruiz."), m("user", "And the topic?")]
    for messages in (turns[:1], turns, [m("system", "Answer briefly."), *turns]):
        if pieces.render(messages) != template.prompt(messages):
            raise LabtuneError(f"template {template.name!r} cannot be written as an Ollama TEMPLATE: its "
                               "turns are not the same fixed texts around each message")


def _quoted(text: str, what: str) -> str:
    if '"""' in text:
        raise LabtuneError(f"the {what} contains '\"\"\"', which a Modelfile cannot quote")
    return f'"""{text}"""'


def modelfile(source: Source, gguf_name: str = MODEL_FILE) -> str:
    pieces = pieces_of(source.template)
    lines = [f"# {source.name}, exported by labtune. Create it with: ollama create NAME -f Modelfile",
             f"FROM ./{gguf_name}", f"TEMPLATE {_quoted(pieces.go_template(), 'template')}"]
    if pieces.default_system:
        lines.append(f"SYSTEM {_quoted(pieces.default_system, 'default system message')}")
    for stop in source.template.stop:
        if '"' in stop or "\n" in stop:
            raise LabtuneError(f"stop text {stop!r} cannot be written as a Modelfile parameter")
        lines.append(f'PARAMETER stop "{stop}"')
    return "\n".join(lines) + "\n"


def export_ollama(source: Source, out: Path, quant: str = "f16", force: bool = False) -> Path:
    """OUT/Modelfile and OUT/model.gguf."""
    text = modelfile(source)  # refuses an inexpressible template before the slow GGUF is written
    with staged(out, force) as tmp:
        write_gguf(source, tmp / MODEL_FILE, quant)
        (tmp / "Modelfile").write_text(text, encoding="utf-8")
    return out
