"""Chat templates as data: each renders a Conversation into text segments marked trainable or not.

Masks come from these segment boundaries (never from re-tokenizing substrings with offsets): the
trainable segments are exactly what the model must generate after the generation prompt, up to and
including the end-of-turn token that closes each assistant turn.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
import jinja2

from labtune.data.conversation import Conversation, Message
from labtune.errors import LabtuneError
from labtune.textfile import read_text

VICUNA_SYSTEM = (
    "A chat between a curious user and an artificial intelligence assistant. "
    "The assistant gives helpful, detailed, and polite answers to the user's questions."
)
ALPACA_WITH_INPUT = (
    "Below is an instruction that describes a task, paired with an input that provides further context. "
    "Write a response that appropriately completes the request.\n\n"
    "### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:"
)
ALPACA_NO_INPUT = (
    "Below is an instruction that describes a task. "
    "Write a response that appropriately completes the request.\n\n"
    "### Instruction:\n{instruction}\n\n### Response:"
)
TEMPLATE_EOS = "</s>"  # how FastChat and Stanford Alpaca write the end of an assistant turn


@dataclass(frozen=True)
class Segment:
    text: str
    trainable: bool


class ChatTemplate:
    """Base: `segments(conv)` for training, `prompt(messages)` for generation, `stop` strings."""

    name: str
    eot: str  # end-of-turn text that closes each assistant turn (and stops generation)

    def segments(self, conv: Conversation) -> list[Segment]:
        raise NotImplementedError

    def prompt(self, messages: list[Message]) -> str:
        """Text to feed the model so it writes the next assistant turn."""
        raise NotImplementedError

    def render(self, conv: Conversation) -> str:
        return "".join(s.text for s in self.segments(conv))

    @property
    def stop(self) -> list[str]:
        return [self.eot]

    def stop_token_ids(self, tokenizer) -> list[int]:
        """Token ids that end generation: the end-of-turn when it is one token of the vocabulary
        (ChatML's <|im_end|>; as plain text it is a stop string instead), then the tokenizer's EOS."""
        ids: list[int] = []
        for text in (self.eot, tokenizer.eos_token):
            if not text:
                continue
            token_id = tokenizer.convert_tokens_to_ids(text)
            if isinstance(token_id, int) and token_id != tokenizer.unk_token_id and token_id not in ids:
                ids.append(token_id)
        return ids

    def jinja(self, add_bos: bool) -> str:
        """This template as a Hugging Face chat template (Jinja), rendering the same text, so plain
        `tokenizer.apply_chat_template` reproduces what the run was trained on. `add_bos`: the
        tokenizer adds BOS to plain text, so the Jinja form writes it first."""
        raise NotImplementedError


def _merge(segments: list[Segment]) -> list[Segment]:
    out: list[Segment] = []
    for seg in segments:
        if not seg.text:
            continue
        if out and out[-1].trainable == seg.trainable:
            out[-1] = Segment(out[-1].text + seg.text, seg.trainable)
        else:
            out.append(seg)
    return out


class VicunaTemplate(ChatTemplate):
    """FastChat's vicuna_v1.1: `SYSTEM USER: u ASSISTANT: a</s>USER: ...`."""

    name = "vicuna_v1.1"

    def __init__(self, eot: str = TEMPLATE_EOS):
        self.eot = eot

    def segments(self, conv: Conversation) -> list[Segment]:
        segs = [Segment((conv.system if conv.system is not None else VICUNA_SYSTEM) + " ", False)]
        for msg in conv.turns:
            if msg.role == "user":
                segs.append(Segment(f"USER: {msg.content} ", False))
            else:
                segs.append(Segment("ASSISTANT:", False))
                segs.append(Segment(f" {msg.content}{self.eot}", True))
        return _merge(segs)

    def prompt(self, messages: list[Message]) -> str:
        conv = Conversation(list(messages))
        return "".join(s.text for s in self.segments(conv)) + "ASSISTANT:"

    def jinja(self, add_bos: bool) -> str:
        system = VICUNA_SYSTEM.replace("'", "\\'")
        return (
            "{% if messages[0]['role'] == 'system' %}{% set system = messages[0]['content'] %}"
            "{% set loop_messages = messages[1:] %}{% else %}"
            f"{{% set system = '{system}' %}}"
            "{% set loop_messages = messages %}{% endif %}"
            + ("{{ bos_token }}" if add_bos else "") +
            "{{ system + ' ' }}"
            "{% for m in loop_messages %}{% if m['role'] == 'user' %}{{ 'USER: ' + m['content'] + ' ' }}"
            "{% else %}{{ 'ASSISTANT: ' + m['content'] + eos_token }}{% endif %}{% endfor %}"
            "{% if add_generation_prompt %}{{ 'ASSISTANT:' }}{% endif %}"
        )


class AlpacaTemplate(ChatTemplate):
    """Stanford Alpaca's prompts; a multi-turn chat repeats the block once per turn."""

    name = "alpaca"

    def __init__(self, eot: str = TEMPLATE_EOS):
        self.eot = eot

    @staticmethod
    def _block(msg: Message, alpaca: dict | None) -> str:
        # An Alpaca record keeps its instruction and input apart (reader meta) so the
        # "with input" prompt is reproduced exactly; any other user turn is an instruction.
        if alpaca and alpaca.get("input"):
            return ALPACA_WITH_INPUT.format(instruction=alpaca["instruction"], input=alpaca["input"])
        return ALPACA_NO_INPUT.format(instruction=msg.content)

    def segments(self, conv: Conversation) -> list[Segment]:
        segs: list[Segment] = []
        if conv.system is not None:
            segs.append(Segment(conv.system + "\n\n", False))
        alpaca = conv.meta.get("alpaca")
        for i, msg in enumerate(conv.turns):
            if msg.role == "user":
                segs.append(Segment(self._block(msg, alpaca if alpaca and i == alpaca.get("turn", 0) else None), False))
            else:
                segs.append(Segment(f"{msg.content}{self.eot}", True))
        return _merge(segs)

    def prompt(self, messages: list[Message]) -> str:
        return "".join(s.text for s in self.segments(Conversation(list(messages))))

    def jinja(self, add_bos: bool) -> str:
        # A user message with an "input" key (as HF allows extra keys) renders the "with input" prompt.
        def block(text: str) -> str:
            return "'" + text.replace("\n", "\\n").replace("{instruction}", "' + m['content'] + '") \
                .replace("{input}", "' + m['input'] + '") + "'"
        return (
            ("{{ bos_token }}" if add_bos else "")
            + "{% if messages[0]['role'] == 'system' %}{{ messages[0]['content'] + '\\n\\n' }}{% endif %}"
            "{% for m in messages if m['role'] != 'system' %}{% if m['role'] == 'user' %}"
            "{% if m.get('input') %}{{ " + block(ALPACA_WITH_INPUT) + " }}"
            "{% else %}{{ " + block(ALPACA_NO_INPUT) + " }}{% endif %}"
            "{% else %}{{ m['content'] + eos_token }}{% endif %}{% endfor %}"
        )


class JinjaTemplate(ChatTemplate):
    """A Jinja chat template (the tokenizer's own, or a user file), rendered as HF does.

    Segments come from rendering growing prefixes: the text added by assistant turn i is the
    rendering of messages[:i+1] minus the rendering of messages[:i] with the generation prompt.
    The trainable part runs up to and including the first end-of-turn token in it.
    """

    def __init__(self, source: str, name: str, eot: str, bos_token: str = "", eos_token: str = "",
                 special_tokens: dict | None = None):
        self.name = name
        self.source = source
        self.eot = eot
        # What HF passes to a chat template: the tokenizer's special tokens (bos_token, eos_token, ...).
        self._special = {**(special_tokens or {}), "bos_token": bos_token, "eos_token": eos_token}

    def _render(self, messages: list[Message], add_generation_prompt: bool) -> str:
        """Render exactly as `tokenizer.apply_chat_template` does (same Jinja environment and filters)."""
        from transformers.utils.chat_template_utils import render_jinja_template

        try:
            rendered, _ = render_jinja_template([[m.to_dict() for m in messages]], chat_template=self.source,
                                                add_generation_prompt=add_generation_prompt, **self._special)
        except jinja2.TemplateSyntaxError as exc:
            raise LabtuneError(f"chat template {self.name!r}: invalid Jinja at line {exc.lineno}: {exc.message}") \
                from None
        except (jinja2.TemplateError, ValueError, TypeError) as exc:
            raise LabtuneError(f"chat template {self.name!r}: {exc}") from None
        return rendered[0]

    def prompt(self, messages: list[Message]) -> str:
        return self._render(list(messages), True)

    def jinja(self, add_bos: bool) -> str:
        return self.source  # a Jinja template writes its own BOS

    def segments(self, conv: Conversation) -> list[Segment]:
        segs: list[Segment] = []
        done = ""
        msgs = conv.messages
        for i, msg in enumerate(msgs):
            if msg.role != "assistant":
                continue
            before = self._render(msgs[:i], True)
            after = self._render(msgs[: i + 1], False)
            if not before.startswith(done) or not after.startswith(before):
                raise LabtuneError(f"chat template {self.name!r} does not render prefixes consistently; "
                                   "it cannot be used for masked training")
            segs.append(Segment(before[len(done):], False))
            added = after[len(before):]
            cut = added.find(self.eot)
            end = len(added) if cut < 0 else cut + len(self.eot)
            segs.append(Segment(added[:end], True))
            segs.append(Segment(added[end:], False))
            done = after
        full = self._render(msgs, False)
        if not full.startswith(done):
            raise LabtuneError(f"chat template {self.name!r} does not render prefixes consistently")
        segs.append(Segment(full[len(done):], False))
        return _merge(segs)


def tokenizer_eot(tokenizer) -> str:
    """The token that ends an assistant turn: ChatML's <|im_end|> when present, else EOS."""
    vocab = tokenizer.get_vocab()
    for candidate in ("<|im_end|>", "<|eot_id|>", "<|end|>"):
        if candidate in vocab and candidate in (tokenizer.chat_template or ""):
            return candidate
    return tokenizer.eos_token


def _special_tokens(tokenizer) -> dict:
    return dict(getattr(tokenizer, "special_tokens_map", None) or {}) if tokenizer is not None else {}


TEMPLATE_NAMES = ("tokenizer", "vicuna_v1.1", "alpaca")


def get_template(name: str = "tokenizer", tokenizer=None) -> ChatTemplate:
    """Build a template by name, or from a `.jinja` file path.

    With a tokenizer, the vicuna/alpaca end-of-turn is that tokenizer's EOS token; without one it
    is the text `</s>` as FastChat and Stanford Alpaca write it.
    """
    eos = getattr(tokenizer, "eos_token", None) if tokenizer is not None else None
    if name == "vicuna_v1.1":
        return VicunaTemplate(eos or TEMPLATE_EOS)
    if name == "alpaca":
        return AlpacaTemplate(eos or TEMPLATE_EOS)
    if name == "tokenizer":
        if tokenizer is None or not getattr(tokenizer, "chat_template", None):
            raise LabtuneError("template 'tokenizer' needs a model whose tokenizer has a chat_template; "
                               "pass --model, or use --template vicuna_v1.1 or alpaca")
        return JinjaTemplate(tokenizer.chat_template, "tokenizer", tokenizer_eot(tokenizer),
                             tokenizer.bos_token or "", tokenizer.eos_token or "", _special_tokens(tokenizer))
    path = Path(name)
    if path.suffix in (".jinja", ".j2") or path.is_file():
        if not path.is_file():
            raise LabtuneError(f"{path}: template file not found")
        source = read_text(path)
        eot = tokenizer_eot(tokenizer) if tokenizer is not None else TEMPLATE_EOS
        return JinjaTemplate(source, str(path), eot, getattr(tokenizer, "bos_token", "") or "", eos or "",
                             _special_tokens(tokenizer))
    raise LabtuneError(f"unknown template {name!r}: use one of {', '.join(TEMPLATE_NAMES)} or a .jinja file")

