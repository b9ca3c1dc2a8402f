"""Does an exported model answer like the run it came from? Logits on a fixed prompt, and greedy
answers to the same questions compared. Used by the tests and benchmarks/export_gguf.py."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class LogitsMatch:
    max_abs_diff: float
    cosine: float


def compare_logits(model_a, model_b, input_ids) -> LogitsMatch:
    import torch

    with torch.no_grad():
        a, b = model_a(input_ids).logits.float(), model_b(input_ids).logits.float()
    cosine = torch.nn.functional.cosine_similarity(a.flatten(), b.flatten(), dim=0).item()
    return LogitsMatch((a - b).abs().max().item(), cosine)


def same_answers(answers_a: list[str], answers_b: list[str]) -> float:
    """Fraction of answers that are identical."""
    pairs = list(zip(answers_a, answers_b, strict=True))
    return sum(a == b for a, b in pairs) / max(len(pairs), 1)


def decode_tokens_per_second(generations: list) -> float:
    """Tokens after the first over the time after the first (serve Generations): decoding speed
    without the prompt's prefill."""
    tokens = sum(max(g.completion_tokens - 1, 0) for g in generations)
    seconds = sum(g.finished_at - g.first_token_at for g in generations if g.first_token_at and g.finished_at)
    return tokens / seconds if seconds > 0 else 0.0
