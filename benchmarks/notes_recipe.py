"""How robust the notes recipe is: `labtune learn` on several folders and seeds, accuracy per question kind.

    python benchmarks/notes_recipe.py                                  # the three folders, seeds 0 1 2
    python benchmarks/notes_recipe.py --folders labnotes --seeds 0     # one run
    python benchmarks/notes_recipe.py --folder my/notes:my/questions.jsonl --recipe mine.yaml
    python benchmarks/notes_recipe.py --tables runs/notes-recipe/results.json   # print saved results again

Folders: `labnotes` (the bundled samples the recipe is tuned on), `messy` (bundled notes written the
ways people write them; reported, not tuned on) and `unseen` (benchmarks/fixtures: other people,
dates and topics in the neat layout, for generalisation; `unseen-dayfirst` is the same folder and questions
with every numeric date written day first, 09/01/2024, and written dates as "9 January 2024"); `layouts`
(benchmarks/fixtures: five labs' folders of the notes reader's test cases, 27 meetings in some twenty
layouts from chat logs to Word minutes and a CSV schedule, over two years); `labnotes-asked` and `messy-asked`
(the two bundled folders with questions written by someone who saw only the notes, never the phrasings
training uses: 60 and 66 questions in every kind, worded as people type them). For each folder it prints the mean and the
worst accuracy over the seeds per question kind (presenter, recorder, topic, content, reverse, ...),
the same open-book (the run's notes index in the prompt, as chat and serve answer), the held-out
self-check, whether the primary-colours probe was kept, the general perplexity change, tokens trained
and seconds, with the fp32 matmul peak (GFLOP/s) measured right before each run: the shared VM's
speed varies several-fold, so a time means little without it. Results also go to OUT/results.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from labtune.learn import learn
from labtune.samples import HERE as SAMPLES
from labtune.samples import LABNOTES, LABNOTES_QUESTIONS
from labtune.train.bench import matmul_peak_gflops

FIXTURES = Path(__file__).resolve().parent / "fixtures"
FOLDERS = {
    "labnotes": (LABNOTES, LABNOTES_QUESTIONS),
    "messy": (SAMPLES / "labnotes-messy", SAMPLES / "labnotes-messy-questions.jsonl"),
    "unseen": (FIXTURES / "unseen-labnotes", FIXTURES / "unseen-labnotes-questions.jsonl"),
    "unseen-dayfirst": (FIXTURES / "unseen-labnotes-dayfirst",
                        FIXTURES / "unseen-labnotes-dayfirst-questions.jsonl"),
    "layouts": (FIXTURES / "layouts-labnotes", FIXTURES / "layouts-labnotes-questions.jsonl"),
    "labnotes-asked": (LABNOTES, FIXTURES / "labnotes-asked-questions.jsonl"),
    "messy-asked": (SAMPLES / "labnotes-messy", FIXTURES / "labnotes-messy-asked-questions.jsonl"),
}
PRIMARY = "What are the three primary colors?"


def one_run(name: str, notes: Path, questions: Path, seed: int, recipe: str | None, out: Path,
            console: Console) -> dict:
    peak = matmul_peak_gflops(None)
    started = time.perf_counter()
    report = learn(notes, out / f"{name}-seed{seed}", questions_file=questions, seed=seed, recipe=recipe,
                   console=console).report
    probes = {p["question"]: p for p in report["general"]["probes"]}
    return {"folder": name, "seed": seed, "matmul_peak_gflops": round(peak, 1),
            "questions": report["questions"]["after"], "before": report["questions"]["before"]["overall"],
            "open_book": report["questions"].get("open_book", {}).get("after"),
            "open_book_before": report["questions"].get("open_book", {}).get("before", {}).get("overall"),
            "self_check": report["self_check"]["accuracy"],
            "answering": (report.get("answering") or {}).get("mode", "closed-book"),
            "colours_kept": probes[PRIMARY]["kept_after"], "colours": probes[PRIMARY]["after"],
            "probes_kept": sum(p["kept_after"] for p in probes.values()), "probes": len(probes),
            "perplexity_change": report["general"]["perplexity_change"],
            "tokens": report["train"]["tokens"], "epochs": report["train"]["epochs"],
            "stopped_early": report["train"]["stopped_early"], "train_s": report["seconds"]["train"],
            "blend": (report["train"].get("blend") or {}).get("alpha", 1.0),
            "total_s": round(time.perf_counter() - started, 1),
            "wrong": [(r["question"], r["after"]) for r in report["questions"]["results"] if not r["correct_after"]]}


def summary_table(name: str, runs: list[dict]) -> Table:
    table = Table(title=f"{name}: {len(runs)} seed(s)", title_justify="left")
    table.add_column("")
    table.add_column("mean", justify="right")
    table.add_column("worst", justify="right")
    kinds = [k for k in runs[0]["questions"] if k != "overall"] + ["overall"]
    for kind in kinds:
        scores = [r["questions"].get(kind, 0.0) for r in runs]
        table.add_row(f"questions: {kind}", f"{statistics.mean(scores):.0%}", f"{min(scores):.0%}")
    opened = [r for r in runs if r.get("open_book")]
    for kind in kinds if len(opened) == len(runs) else []:
        scores = [r["open_book"].get(kind, 0.0) for r in runs]
        table.add_row(f"open-book: {kind}", f"{statistics.mean(scores):.0%}", f"{min(scores):.0%}")
    answered = [(r["open_book"] if r["answering"] == "open-book" and r.get("open_book") else r["questions"])["overall"]
                for r in runs]
    table.add_row("questions as chat answers them (" + ", ".join(r["answering"] for r in runs) + ")",
                  f"{statistics.mean(answered):.0%}", f"{min(answered):.0%}")
    checks = [r["self_check"]["overall"] for r in runs]
    table.add_row("self-check (held out)", f"{statistics.mean(checks):.0%}", f"{min(checks):.0%}")
    table.add_row("before tuning", f"{statistics.mean(r['before'] for r in runs):.0%}",
                  f"{max(r['before'] for r in runs):.0%} (best)")
    if len(opened) == len(runs):
        table.add_row("before tuning, open-book", f"{statistics.mean(r['open_book_before'] for r in runs):.0%}",
                      f"{max(r['open_book_before'] for r in runs):.0%} (best)")
    table.add_row("primary colours kept", f"{sum(r['colours_kept'] for r in runs)}/{len(runs)}", "")
    kept = [r.get("blend", 1.0) for r in runs]
    table.add_row("tuning kept (blend)", f"{statistics.mean(kept):g}", f"{min(kept):g} (least)")
    changes = [r["perplexity_change"] for r in runs]
    table.add_row("general perplexity change", f"{statistics.mean(changes):+.1%}", f"{max(changes):+.1%}")
    for key, label in (("tokens", "tokens trained"), ("train_s", "training s"), ("total_s", "total s"),
                       ("matmul_peak_gflops", "matmul peak GFLOP/s")):
        values = [r[key] for r in runs]
        worst = max(values) if key != "matmul_peak_gflops" else min(values)
        table.add_row(label, f"{statistics.mean(values):,.0f}", f"{worst:,.0f}")
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folders", nargs="*", default=list(FOLDERS), help=f"of {', '.join(FOLDERS)}")
    parser.add_argument("--folder", action="append", default=[], help="NOTES_DIR:QUESTIONS_FILE (repeatable)")
    parser.add_argument("--seeds", nargs="*", type=int, default=[0, 1, 2])
    parser.add_argument("--recipe", default=None, help="recipe name or YAML file (default: notes)")
    parser.add_argument("--out", type=Path, default=Path("runs/notes-recipe"))
    parser.add_argument("--tables", type=Path, help="only print the tables of a results.json")
    args = parser.parse_args()
    if args.tables:
        print_tables(json.loads(args.tables.read_text()))
        return

    folders = {name: FOLDERS[name] for name in args.folders}
    for spec in args.folder:
        notes, _, questions = spec.rpartition(":")
        folders[Path(notes).name] = (Path(notes), Path(questions))
    missing = [name for name, (notes, questions) in folders.items() if not notes.is_dir() or not questions.is_file()]
    console = Console(stderr=True)
    for name in missing:
        console.print(f"skipping {name}: {folders.pop(name)} not found")
    args.out.mkdir(parents=True, exist_ok=True)
    results: list[dict] = []
    for name, (notes, questions) in folders.items():
        for seed in args.seeds:
            console.print(f"[bold]{name}, seed {seed}[/]")
            results.append(one_run(name, notes, questions, seed, args.recipe, args.out, console))
            (args.out / "results.json").write_text(json.dumps(results, indent=1))
    print_tables(results)
    Console().print(f"results: {args.out / 'results.json'} ({time.strftime('%Y-%m-%d %H:%M')})")


def print_tables(results: list[dict]) -> None:
    out = Console()
    for name in dict.fromkeys(r["folder"] for r in results):
        out.print(summary_table(name, [r for r in results if r["folder"] == name]))


if __name__ == "__main__":
    main()
