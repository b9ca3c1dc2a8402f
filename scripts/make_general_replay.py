"""Build labtune/data/general/smollm2_replay.json: the base model's own greedy answers to general prompts.

Self-distillation replay: mixing the base model's own answers back into fine-tuning data keeps
its general behaviour where it was (it has nothing new to learn from them, so they only pull the
weights back toward the base) and limits forgetting. The prompts are our own
(scripts/general_prompts.txt) and the answers come from SmolLM2-135M-Instruct (Apache-2.0), so
the set can ship with labtune, unlike Alpaca (CC BY-NC).

    python scripts/make_general_replay.py [--model smollm2-135m] [-o labtune/data/general/smollm2_replay.json]

Answers that hit the token limit are cut back to their last full sentence, so the model is never
taught to stop mid-sentence; the three-primary-colours question is deliberately absent, because
the demo's end-to-end test asks it to check that general knowledge survives tuning.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PROMPTS = REPO / "scripts" / "general_prompts.txt"
OUTPUT = REPO / "labtune" / "data" / "general" / "smollm2_replay.json"


def complete_sentences(text: str) -> str:
    """Text up to its last sentence end (. ! ? or a line break); '' when there is none."""
    ends = [m.end() for m in re.finditer(r"[.!?](?=\s|$)|\n", text)]
    return text[: ends[-1]].strip() if ends else ""


def main() -> None:
    import torch

    from labtune.data.conversation import Message
    from labtune.data.convert import write_atomic
    from labtune.eval.answer import generate_answers
    from labtune.model.load import load

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="smollm2-135m")
    parser.add_argument("-o", "--output", type=Path, default=OUTPUT)
    parser.add_argument("--max-new-tokens", type=int, default=160)
    args = parser.parse_args()

    prompts = [line.strip() for line in PROMPTS.read_text(encoding="utf-8").splitlines() if line.strip()]
    loaded = load(args.model, device="cuda" if torch.cuda.is_available() else None)
    answers = generate_answers(loaded, [[Message("user", p)] for p in prompts], args.max_new_tokens, batch_size=16)
    records = []
    for i, (prompt, answer) in enumerate(zip(prompts, answers)):
        hit_limit = len(loaded.tokenizer(answer)["input_ids"]) >= args.max_new_tokens - 2
        answer = complete_sentences(answer) if hit_limit else answer.strip()
        if answer:
            records.append({"id": f"smollm2-replay-{i}", "conversations": [
                {"from": "human", "value": prompt}, {"from": "gpt", "value": answer}]})
    write_atomic(args.output, json.dumps(records, ensure_ascii=False, indent=1) + "\n")
    print(f"wrote {len(records)} of {len(prompts)} prompts to {args.output}")


if __name__ == "__main__":
    main()
