"""Would choosing among answers beat a run's open-book answer? Three candidates per question: the run
closed-book, the run open-book, the base model open-book (the same retrieved notes), each scored by the
log-likelihood the run and the base model give it with and without the notes in the prompt.

It prints each way of choosing (the candidate with the highest score) against the run's open-book answer
alone, and the oracle (any candidate right). Choosing costs three generations and twelve scoring passes
per question; it is worth building into answering only where it gains on questions not used for picking
the score.

    python benchmarks/answer_selection.py runs/R --questions Q [--limit N] [--out rows.json]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

CANDIDATES = ("run_closed", "run_open", "base_open")


def log_likelihood(loaded, prompt, answer: str) -> tuple[float, int]:
    """Sum of the answer's token log-probabilities (with its end-of-turn token) after `prompt`, and their count."""
    import torch

    from labtune.data.tokenize import encode_prompt

    tokenizer, template = loaded.tokenizer, loaded.template
    prompt_ids = encode_prompt(prompt, template, tokenizer)
    answer_ids = tokenizer(answer, add_special_tokens=False)["input_ids"] + [template.stop_token_ids(tokenizer)[0]]
    with torch.no_grad():
        logits = loaded.model(input_ids=torch.tensor([prompt_ids + answer_ids])).logits[0, len(prompt_ids) - 1:-1]
    logprobs = torch.log_softmax(logits.float(), -1).gather(1, torch.tensor(answer_ids)[:, None])
    return float(logprobs.sum()), len(answer_ids)


def choosers() -> dict:
    def per_token(key):
        return lambda c: c[key][0] / c[key][1]

    return {"run open-book alone": lambda c: c["name"] == "run_open",
            "base open-book alone": lambda c: c["name"] == "base_open",
            "run's mean log-prob, notes": per_token("run_open"),
            "base's mean log-prob, notes": per_token("base_open"),
            "base's gain from the notes": lambda c: c["base_open"][0] - c["base_closed"][0],
            "both models' gain from the notes": lambda c: (c["base_open"][0] - c["base_closed"][0]
                                                           + c["run_open"][0] - c["run_closed"][0])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run")
    parser.add_argument("--questions", type=Path, required=True)
    parser.add_argument("--limit", type=int, help="only the first N questions (a quick look)")
    parser.add_argument("--max-new-tokens", type=int, default=48)
    parser.add_argument("--out", type=Path, help="write every candidate and its scores as JSON here")
    args = parser.parse_args()

    from labtune.eval.answer import generate_answers
    from labtune.eval.questions import load_questions
    from labtune.eval.scoring import score
    from labtune.model.load import load
    from labtune.model.run_dir import RunDir
    from labtune.retrieval import open_book
    from labtune.retrieval.store import index_for

    questions = load_questions(args.questions)[:args.limit]
    index = index_for(args.run, open_book=True)
    prompts = {"closed": [q.prompt for q in questions], "open": [open_book(q.prompt, index)[0] for q in questions]}
    models = {"run": load(args.run), "base": load(RunDir.find(args.run).base_model)}
    rows = [{"question": q.text, "kind": q.kind, "candidates": []} for q in questions]
    for name in CANDIDATES:
        model, mode = name.split("_")
        answers = generate_answers(models[model], prompts[mode], args.max_new_tokens)
        for row, q, answer in zip(rows, questions, answers):
            row["candidates"].append({"name": name, "answer": answer, "correct": score(answer, q.answers)})
    for model, loaded in models.items():
        for mode, mode_prompts in prompts.items():
            for row, prompt in zip(rows, mode_prompts):
                for candidate in row["candidates"]:
                    candidate[f"{model}_{mode}"] = log_likelihood(loaded, prompt, candidate["answer"])
    results = {name: sum(max(r["candidates"], key=choose)["correct"] for r in rows) / len(rows)
               for name, choose in choosers().items()}
    results["oracle (any candidate right)"] = sum(any(c["correct"] for c in r["candidates"]) for r in rows) / len(rows)
    for name, share in results.items():
        print(f"{name:36s} {share:6.1%}")
    if args.out:
        args.out.write_text(json.dumps({"results": results, "rows": rows}, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
