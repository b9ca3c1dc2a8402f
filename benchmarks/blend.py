"""What blending a tuned run back toward its base buys and costs, on a run that was tuned unblended.

`labtune learn` ends with this step (recipe key `general.blend`): the weights become base + a (tuned - base)
for the smallest share a whose held-out check recall (the same 48 teacher-forced questions that stop
training) is the tuned model's own. Applied here to an existing run, in memory (the run is not changed),
it prints the share chosen and, for the tuned and the blended weights, the questions file's accuracy
per kind, the general perplexity change and the general probes kept: the same figures as the report.

    python benchmarks/blend.py --run runs/notes-recipe/labnotes-seed2 --notes labtune/samples/labnotes \\
        --questions labtune/samples/labnotes-questions.jsonl --seed 2 [--shares 0.8 0.9] [--recipe notes]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from labtune.data.notes.synthesize import synthesize
from labtune.eval import evaluate_questions, load_questions
from labtune.eval.evaluate import accuracy
from labtune.learn.blend import blend_toward_base
from labtune.learn.check import TaughtAnswers, watched
from labtune.learn.general import general_state, replay
from labtune.learn.inputs import read_folder
from labtune.learn.pipeline import AFTER_TOKENS
from labtune.learn.recipe import load_recipe
from labtune.model.load import load


def state(loaded, questions, held_out) -> dict:
    answers = evaluate_questions(loaded, questions, max_new_tokens=AFTER_TOKENS, batch_size=64)
    general = general_state(loaded, held_out)
    return {"questions": {k: round(v, 3) for k, v in accuracy(answers).items()},
            "perplexity": general["perplexity"], "probes_kept": [p["kept"] for p in general["probes"]]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", required=True)
    parser.add_argument("--notes", type=Path, required=True, help="the folder the run was tuned on")
    parser.add_argument("--questions", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0, help="the run's seed (it picks the check questions)")
    parser.add_argument("--recipe", default=None, help="the run's recipe (default: notes)")
    parser.add_argument("--shares", type=float, nargs="*", help="default: the recipe's general.blend")
    parser.add_argument("--base", default="smollm2-135m")
    args = parser.parse_args()

    recipe = load_recipe(args.recipe).with_seed(args.seed)
    made = synthesize(read_folder(args.notes).notes, recipe.synthesis)
    questions, held_out = load_questions(args.questions), replay(recipe.general.held_out).held_out
    base = load(args.base)
    before = general_state(base, held_out)["perplexity"]
    base_state = base.model.state_dict()
    tuned = load(args.run)
    report = {"run": args.run, "perplexity_base": before, "tuned": state(tuned, questions, held_out)}
    check = TaughtAnswers(watched(made.check, recipe.check.questions, args.seed), tuned.template, tuned.tokenizer)
    started = time.perf_counter()
    blend = blend_toward_base(tuned.model, base_state, check, args.shares or recipe.general.blend)
    report["blend"] = {**blend.to_dict(), "seconds": round(time.perf_counter() - started, 1)}
    report["blended"] = state(tuned, questions, held_out)
    for key in ("tuned", "blended"):
        report[key]["perplexity_change"] = round(report[key]["perplexity"] / before - 1, 4)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
