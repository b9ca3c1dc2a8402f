"""Conversation -> input_ids + labels. Labels are -100 everywhere but the trainable segments."""

from __future__ import annotations

from dataclasses import dataclass

from labtune.data.conversation import Conversation
from labtune.data.templates import ChatTemplate, JinjaTemplate

IGNORE_INDEX = -100


@dataclass
class Encoded:
    input_ids: list[int]
    labels: list[int]
    truncated: bool = False

    @property
    def trainable_tokens(self) -> int:
        return sum(1 for label in self.labels if label != IGNORE_INDEX)


def bos_ids(tokenizer, template: ChatTemplate) -> list[int]:
    """BOS the tokenizer would add itself; Jinja templates write their own BOS into the text."""
    if isinstance(template, JinjaTemplate) or tokenizer.bos_token_id is None:
        return []
    probe = tokenizer("a", add_special_tokens=True)["input_ids"]
    return [tokenizer.bos_token_id] if probe and probe[0] == tokenizer.bos_token_id else []


def encode(conv: Conversation, template: ChatTemplate, tokenizer, max_length: int | None = None) -> Encoded:
    """Tokenize each segment on its own and concatenate, so label boundaries are exact."""
    input_ids = bos_ids(tokenizer, template)
    labels = [IGNORE_INDEX] * len(input_ids)
    for seg in template.segments(conv):
        ids = tokenizer(seg.text, add_special_tokens=False)["input_ids"]
        input_ids.extend(ids)
        labels.extend(ids if seg.trainable else [IGNORE_INDEX] * len(ids))
    truncated = max_length is not None and len(input_ids) > max_length
    if truncated:
        input_ids, labels = input_ids[:max_length], labels[:max_length]
    return Encoded(input_ids, labels, truncated)


def encode_prompt(messages, template: ChatTemplate, tokenizer) -> list[int]:
    """Token ids of the generation prompt, tokenized the same way as in training."""
    return bos_ids(tokenizer, template) + tokenizer(template.prompt(messages), add_special_tokens=False)["input_ids"]
