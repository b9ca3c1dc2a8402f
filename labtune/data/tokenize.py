"""Conversation -> input_ids + labels. Labels are -100 everywhere but the trainable segments."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from labtune.data.conversation import Conversation
from labtune.data.templates import ChatTemplate, JinjaTemplate
from labtune.errors import LabtuneError, where

IGNORE_INDEX = -100
log = logging.getLogger(__name__)


@dataclass
class Encoded:
    input_ids: list[int]
    labels: list[int]
    truncated: bool = False

    @property
    def trainable_tokens(self) -> int:
        return sum(1 for label in self.labels if label != IGNORE_INDEX)

    @property
    def learnable(self) -> bool:
        """Has a trainable token with a token before it: the first position predicts nothing."""
        return any(label != IGNORE_INDEX for label in self.labels[1:])


def bos_ids(tokenizer, template: ChatTemplate) -> list[int]:
    """BOS the tokenizer would add itself; Jinja templates write their own BOS into the text."""
    if isinstance(template, JinjaTemplate) or tokenizer.bos_token_id is None:
        return []
    probe = tokenizer("a", add_special_tokens=True)["input_ids"]
    return [tokenizer.bos_token_id] if probe and probe[0] == tokenizer.bos_token_id else []


def _ids(tokenizer, text: str) -> list[int]:
    return tokenizer(text, add_special_tokens=False)["input_ids"]


_ANCHORS: dict[int, tuple[object, str | None]] = {}


def _anchor(tokenizer) -> str | None:
    """A special token to tokenize later segments behind, or None when the tokenizer needs none.

    SentencePiece-style tokenizers (LLaMA, Mistral) prepend "▁" to the start of every call, so a
    segment tokenized alone would begin with a space the full text does not have ("</s>USER" gives
    "USER", but "USER" alone gives "▁USER"). Behind a special token a segment tokenizes as it does
    inside the text. Byte-level BPE (GPT-2, SmolLM2) prepends nothing: it gets None.
    """
    cached = _ANCHORS.get(id(tokenizer))
    if cached is not None and cached[0] is tokenizer:
        return cached[1]
    anchor = None
    for special in (tokenizer.eos_token, tokenizer.bos_token, tokenizer.unk_token):
        if not special or len(_ids(tokenizer, special)) != 1:
            continue
        behind = {text: _ids(tokenizer, special + text)[1:] for text in ("x", " x")}
        if behind["x"] == _ids(tokenizer, "x"):
            break  # nothing is prepended: plain tokenization is already right
        if behind[" x"] == _ids(tokenizer, " x"):  # the special token does not swallow the space after it
            anchor = special
            break
    _ANCHORS[id(tokenizer)] = (tokenizer, anchor)
    return anchor


def segment_ids(tokenizer, text: str, first: bool) -> list[int]:
    """Token ids of one segment: the first as the start of a text, the others as its continuation."""
    anchor = None if first else _anchor(tokenizer)
    return _ids(tokenizer, text) if anchor is None else _ids(tokenizer, anchor + text)[1:]


def encode(conv: Conversation, template: ChatTemplate, tokenizer, max_length: int | None = None) -> Encoded:
    """Tokenize each segment on its own and concatenate, so label boundaries are exact."""
    input_ids = bos_ids(tokenizer, template)
    labels = [IGNORE_INDEX] * len(input_ids)
    for i, seg in enumerate(template.segments(conv)):
        ids = segment_ids(tokenizer, seg.text, first=i == 0)
        input_ids.extend(ids)
        labels.extend(ids if seg.trainable else [IGNORE_INDEX] * len(ids))
    truncated = max_length is not None and len(input_ids) > max_length
    if truncated:
        input_ids, labels = input_ids[:max_length], labels[:max_length]
    return Encoded(input_ids, labels, truncated)


def encode_prompt(messages, template: ChatTemplate, tokenizer) -> list[int]:
    """Token ids of the generation prompt, tokenized the same way as in training.

    Earlier assistant turns are tokenized segment by segment as in `encode`: tokenizing the whole
    prompt string at once can merge tokens across a boundary (e.g. "\n\n" + "4" becomes "\n", "\n4"),
    and the model would then see a history it was never trained on.
    """
    text = template.prompt(messages)
    ids = bos_ids(tokenizer, template)
    history = template.segments(Conversation(list(messages))) if any(m.role == "assistant" for m in messages) else []
    while history and not history[-1].trainable:
        history.pop()
    done = "".join(seg.text for seg in history)
    if not text.startswith(done):  # a template whose prompt is not an extension of its training text
        history, done = [], ""
    for i, seg in enumerate(history):
        ids.extend(segment_ids(tokenizer, seg.text, first=i == 0))
    return ids + segment_ids(tokenizer, text[len(done):], first=not history)


@dataclass
class EncodedDataset:
    """Samples ready for training, and what was lost on the way (so it can be reported)."""

    samples: list[Encoded]
    conversations: list[Conversation]  # the conversation behind each sample, same order
    truncated: int = 0  # samples cut at max_length (kept if something trainable is left)
    dropped: list[Conversation] = field(default_factory=list)  # no trainable token left

    @property
    def tokens(self) -> int:
        return sum(len(s.input_ids) for s in self.samples)

    @property
    def trainable_tokens(self) -> int:
        return sum(s.trainable_tokens for s in self.samples)


def encode_dataset(convs: list[Conversation], template: ChatTemplate, tokenizer,
                   max_length: int | None = None, warn: bool = True) -> EncodedDataset:
    """Encode every conversation; drop (and count, and warn about) samples with nothing to learn.

    FastChat silently zeroes such samples; here a sample whose trainable tokens all fell past
    `max_length` is dropped, counted and named, never trained on as pure padding.
    """
    out = EncodedDataset([], [])
    done: dict[int, Encoded] = {}  # a repeated conversation (weight > 1) is the same object: encode it once
    for conv in convs:
        if id(conv) not in done:
            try:
                done[id(conv)] = encode(conv, template, tokenizer, max_length)
            except LabtuneError as exc:
                raise LabtuneError(f"{where(conv.source, conv.index, conv.id)}: {exc}") from None
        cached = done[id(conv)]
        enc = Encoded(list(cached.input_ids), list(cached.labels), cached.truncated)
        out.truncated += enc.truncated
        if not enc.learnable:
            out.dropped.append(conv)
            continue
        out.samples.append(enc)
        out.conversations.append(conv)
    if warn and out.dropped:
        first = ", ".join(where(c.source, c.index, c.id) or "?" for c in out.dropped[:3])
        log.warning("dropped %d of %d samples with no trainable token left after truncation at %s tokens "
                    "(e.g. %s); raise model_max_length or shorten them", len(out.dropped), len(convs),
                    max_length, first)
    return out
