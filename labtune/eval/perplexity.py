"""Perplexity on conversations, counted on assistant tokens only.

The tokens scored are exactly the ones training learns from: `labtune.data.tokenize.encode` labels
(assistant replies and their end-of-turn token, through the model's own template). Perplexity is
exp(total NLL / total scored tokens) over the whole set, so long replies weigh by their length.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from labtune.data.tokenize import IGNORE_INDEX, encode


@dataclass
class Perplexity:
    value: float | None  # None when no conversation had a scored token
    nll: float  # summed negative log-likelihood, nats
    tokens: int  # assistant tokens scored
    conversations: int  # conversations that had at least one scored token

    def to_dict(self) -> dict:
        return {"perplexity": self.value, "nll": self.nll, "tokens": self.tokens,
                "conversations": self.conversations}


def perplexity(loaded, conversations, max_length: int = 512, batch_size: int = 4) -> Perplexity:
    import torch
    import torch.nn.functional as F

    model, tokenizer = loaded.model, loaded.tokenizer
    encoded = [encode(c, loaded.template, tokenizer, max_length) for c in conversations]
    encoded = sorted((e for e in encoded if e.trainable_tokens), key=lambda e: len(e.input_ids))
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    device = next(model.parameters()).device
    total_nll, total_tokens = 0.0, 0
    model.eval()
    for start in range(0, len(encoded), batch_size):
        batch = encoded[start:start + batch_size]
        width = max(len(e.input_ids) for e in batch)
        # Right padding: positions stay 0..n-1 as in training; padded labels are ignored.
        ids = torch.tensor([e.input_ids + [pad_id] * (width - len(e.input_ids)) for e in batch], device=device)
        labels = torch.tensor([e.labels + [IGNORE_INDEX] * (width - len(e.labels)) for e in batch], device=device)
        attention = (torch.arange(width, device=device)[None, :] <
                     torch.tensor([len(e.input_ids) for e in batch], device=device)[:, None]).long()
        with torch.no_grad():
            logits = model(input_ids=ids, attention_mask=attention).logits.float()
        shifted = labels[:, 1:]
        nll = F.cross_entropy(logits[:, :-1].reshape(-1, logits.size(-1)), shifted.reshape(-1),
                              ignore_index=IGNORE_INDEX, reduction="sum")
        total_nll += nll.item()
        total_tokens += int((shifted != IGNORE_INDEX).sum())
    value = math.exp(total_nll / total_tokens) if total_tokens else None
    return Perplexity(value, total_nll, total_tokens, len(encoded))
