"""What bfloat16 autocast buys a training step on this machine: `labtune train` on the data the notes recipe
makes, float32 (with labtune's fused float32 kernels) against bfloat16 autocast (fp32 master weights).

The notes folder is synthesized with the recipe as `labtune learn` does it (facts as Q&A plus general
replay), then each type trains the same steps from the same start in a fresh `labtune train` process (the
command preloads tcmalloc as real runs do), the types taking turns for `--rounds` rounds so a shared
VM's drift falls on both. Per run: seconds from the end of the first optimizer step (a warm-up) to the
last, from the run's metrics.jsonl; the ratio is float32's median over bfloat16's. It also prints the
CPU's bfloat16 flags and what `bf16: auto` picks here. Training loss after the steps shows that the two
learn alike (not identical: bfloat16 rounds every product).

    python benchmarks/train_dtype.py                       # labnotes, 40 steps, 2 rounds
    python benchmarks/train_dtype.py --notes my/notes --steps 60 --rounds 3 --out dtype.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from serve_dtype import cpu_flags


def notes_data(notes: Path, recipe: str, out: Path) -> Path:
    from labtune.learn.inputs import read_folder
    from labtune.learn.pipeline import training_data, write_data
    from labtune.learn.recipe import load_recipe
    from labtune.model.run_dir import LEARN_DATA

    made, _, mixed = training_data(read_folder(notes), load_recipe(recipe).with_seed(0), 0)
    write_data(made, mixed, out)
    return out / LEARN_DATA


def timed_run(data: Path, recipe: str, steps: int, bf16: bool, out: Path) -> dict:
    labtune = Path(sys.executable).with_name("labtune")
    subprocess.run([str(labtune), "train", "--recipe", recipe, "-d", str(data), "-o", str(out),
                    "--overwrite_output_dir", "--max_steps", str(steps), "--bf16" if bf16 else "--no-bf16",
                    "--save_steps", str(10 * steps), "--quiet"], check=True, capture_output=True)
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines() if '"step"' in line]
    rows = [r for r in rows if "elapsed_s" in r]
    return {"seconds": round(rows[-1]["elapsed_s"] - rows[0]["elapsed_s"], 2), "steps": len(rows) - 1,
            "loss": round(statistics.mean(r["loss"] for r in rows[-5:]), 4)}


def main() -> None:
    from labtune.samples import LABNOTES

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notes", type=Path, default=LABNOTES)
    parser.add_argument("--recipe", default="notes")
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    args = parser.parse_args()

    from labtune.model.bfloat16 import bfloat16_trains_faster

    results: dict = {"date": time.strftime("%Y-%m-%d %H:%M"), "cpu_flags": cpu_flags(),
                     "bf16_auto_picks": bfloat16_trains_faster(), "notes": str(args.notes), "steps": args.steps,
                     "float32": [], "bfloat16": []}
    with tempfile.TemporaryDirectory() as tmp:
        data = notes_data(args.notes, args.recipe, Path(tmp))
        for _ in range(args.rounds):
            for name in ("float32", "bfloat16"):
                run = timed_run(data, args.recipe, args.steps, name == "bfloat16", Path(tmp) / name)
                results[name].append(run)
                print(name, run, flush=True)
    median = {name: statistics.median(r["seconds"] for r in results[name]) for name in ("float32", "bfloat16")}
    results["bfloat16_speedup"] = round(median["float32"] / median["bfloat16"], 2)
    print(json.dumps(results, indent=1))
    if args.out:
        args.out.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
