"""Batched greedy answers with the run's own template: left padding, stop at end-of-turn."""

from __future__ import annotations

from labtune.data.conversation import Message
from labtune.data.tokenize import encode_prompt


def _cut(text: str, stops: list[str]) -> str:
    for stop in stops:
        if stop and stop in text:
            text = text[: text.index(stop)]
    return text.strip()


def generate_answers(loaded, prompts: list[list[Message]], max_new_tokens: int = 64,
                     batch_size: int = 32) -> list[str]:
    """Greedy completions of each prompt (a list of messages ending with the user's turn)."""
    import torch
    from transformers import GenerationConfig

    model, tokenizer = loaded.model, loaded.tokenizer
    stops = loaded.template.stop_token_ids(tokenizer)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else stops[0]
    # An explicit config: the model's own generation_config may ask for sampling.
    config = GenerationConfig(max_new_tokens=max_new_tokens, do_sample=False, eos_token_id=stops,
                              pad_token_id=pad_id)
    encoded = [encode_prompt(p, loaded.template, tokenizer) for p in prompts]
    # Similar lengths together waste less compute on padding; answers go back in input order.
    order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]))
    answers: list[str] = [""] * len(encoded)
    device = next(model.parameters()).device
    model.eval()
    for start in range(0, len(order), batch_size):
        batch = [encoded[i] for i in order[start:start + batch_size]]
        width = max(len(ids) for ids in batch)
        input_ids = torch.tensor([[pad_id] * (width - len(ids)) + ids for ids in batch], device=device)
        attention = torch.tensor([[0] * (width - len(ids)) + [1] * len(ids) for ids in batch], device=device)
        with torch.no_grad():
            output = model.generate(input_ids=input_ids, attention_mask=attention, generation_config=config)
        for row, i in enumerate(order[start:start + batch_size]):
            new = output[row, width:].tolist()
            end = next((k for k, t in enumerate(new) if t in stops), len(new))
            text = tokenizer.decode(new[:end], skip_special_tokens=True)
            answers[i] = _cut(text, loaded.template.stop)
    return answers
