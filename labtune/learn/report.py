"""The report of a `labtune learn` run: one dict (report.json), a PNG and the terminal summary."""

from __future__ import annotations

import os
from pathlib import Path

from rich.console import Console
from rich.table import Table

from labtune.eval import accuracy

KIND_ORDER = ("presenter", "recorder", "topic", "field", "content", "reverse", "no_notes")


def _results(results) -> list[dict]:
    return [{"question": r.question, "answers": r.answers, "kind": r.kind, "answer": r.answer, "correct": r.correct}
            for r in results]


def untaught_items(synthesis, meetings) -> int:
    """The items of the notes' text (list items, sentences, action items) that a recipe teaching only each
    meeting's roles, topic and fields leaves out: questions about them are not in the run's weights, nor
    read from its notes (it was never trained to)."""
    if synthesis.content or synthesis.read_by_base or synthesis.open_book_content:
        return 0
    return sum(len(m.note.facts) for m in meetings)


def _rounded(scores: dict) -> dict:
    return {k: round(v, 4) for k, v in scores.items()}


def _relative(path: Path, root: Path) -> str:
    try:
        return str(Path(path).relative_to(root))
    except ValueError:
        return str(path)


def build_report(*, notes_dir, run, model, seed, recipe, folder, made, replayed, stopper, self_check, before, after,
                 questions_file, index, seconds, blend=None, answering=None, read=None) -> dict:
    from labtune.data.notes.lessons import lessons_per_meeting
    from labtune.train.metrics import read_metrics

    per_meeting = lessons_per_meeting(made.lessons)
    notes = [{"file": _relative(m.note.path, Path(notes_dir)), "date": m.note.date.isoformat() if m.note.date else None,
              "topic": m.note.topic, "facts": per_meeting.get(m.index, {}),
              "fields": list(m.note.fields)} for m in made.meetings]
    record = run.record
    steps = [r for r in read_metrics(run.path) if "loss" in r]
    train = {key: record.get(key) for key in ("steps", "planned_steps", "stopped_early", "tokens", "trainable_tokens")}
    train.update(epochs=steps[-1]["epoch"] if steps else 0, final_loss=steps[-1]["loss"] if steps else None,
                 seconds=record.get("timings", {}).get("train_s"),
                 checks=stopper.history if stopper else [], blend=blend.to_dict() if blend else None)
    general = {"probes": [{"question": b["question"], "before": b["answer"], "after": a["answer"],
                           "kept_before": b["kept"], "kept_after": a["kept"]}
                          for b, a in zip(before["general"]["probes"], after["general"]["probes"])]}
    ppl_before, ppl_after = before["general"]["perplexity"], after["general"]["perplexity"]
    general.update(perplexity_before=ppl_before, perplexity_after=ppl_after,
                   perplexity_change=round(ppl_after / ppl_before - 1, 4) if ppl_before and ppl_after else None)
    report = {
        "notes_dir": str(notes_dir), "run_dir": str(run.path), "model": model, "seed": seed,
        "recipe": recipe.model_dump(),
        "notes": notes,
        "skipped": [{"file": _relative(path, Path(notes_dir)), "why": why} for path, why in folder.skipped],
        "data": {"facts": len(made.lessons), "people": len(made.people), "qa": dict(made.kinds),
                 "conversations": len(made.conversations), "general_replay": replayed,
                 "self_check_questions": len(made.check),
                 "read_by_base": {"asked": len(made.reading), "kept": read or 0},
                 "untaught_items": untaught_items(recipe.synthesis, made.meetings)},
        "train": train,
        "self_check": {"accuracy": _rounded(accuracy(self_check)), "results": _results(self_check)},
        "answering": answering or {},
        "general": general,
        "index": index,
        "seconds": seconds,
    }
    if "questions" in after:
        b, a = before["questions"], after["questions"]
        report["questions"] = {
            "file": str(questions_file),
            "before": _rounded(accuracy(b["closed"])), "after": _rounded(accuracy(a["closed"])),
            "results": [{"question": qb.question, "answers": qb.answers, "kind": qb.kind, "before": qb.answer,
                         "after": qa.answer, "correct_before": qb.correct, "correct_after": qa.correct}
                        for qb, qa in zip(b["closed"], a["closed"])]}
        if "open" in a:
            # With the run's notes index in the prompt, as chat and serve answer when a run has one.
            report["questions"]["open_book"] = {"before": _rounded(accuracy(b["open"])),
                                                "after": _rounded(accuracy(a["open"]))}
            for row, ob, oa in zip(report["questions"]["results"], b["open"], a["open"]):
                row.update(open_book_before=ob.answer, open_book_after=oa.answer,
                           correct_open_book_before=ob.correct, correct_open_book_after=oa.correct)
    return report


def _kinds(scores: dict) -> list[str]:
    return sorted((k for k in scores if k != "overall"), key=lambda k: (KIND_ORDER + (k,)).index(k))


def plot_report(report: dict, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (bars, curve) = plt.subplots(1, 2, figsize=(11, 4))
    series = [("self-check (held out)", report["self_check"]["accuracy"])]
    if "questions" in report:
        series += [("questions, before", report["questions"]["before"]), ("questions, after", report["questions"]["after"])]
        if "open_book" in report["questions"]:
            series += [("questions, after, open-book", report["questions"]["open_book"]["after"])]
    kinds = sorted({k for _, scores in series for k in scores}, key=lambda k: (KIND_ORDER + ("overall", k)).index(k))
    width = 0.8 / len(series)
    for i, (label, scores) in enumerate(series):
        bars.bar([x + i * width for x in range(len(kinds))], [scores.get(k, 0) for k in kinds], width, label=label)
    bars.set_xticks([x + width * (len(series) - 1) / 2 for x in range(len(kinds))], kinds, rotation=20)
    bars.set_ylim(0, 1.05)
    bars.set_ylabel("accuracy")
    bars.legend(fontsize=8)
    bars.set_title("answers")
    checks = report["train"]["checks"]
    if checks:
        curve.plot([c["epoch"] for c in checks], [c["exact"] for c in checks], "o-")
    curve.set_ylim(0, 1.05)
    curve.set_xlabel("epoch")
    curve.set_ylabel("held-out questions recalled (teacher-forced)")
    curve.set_title(f"early stopping ({report['train']['tokens'] or 0:,} tokens trained)")
    curve.grid(alpha=0.3)
    fig.tight_layout()
    tmp = path.with_name(path.stem + ".tmp.png")
    fig.savefig(tmp, dpi=100)
    plt.close(fig)
    os.replace(tmp, path)
    return path


def _mark(correct: bool) -> str:
    return "[green]✓[/]" if correct else "[red]✗[/]"


def _cut(text: str, limit: int) -> str:
    return text[:limit] + ("..." if len(text) > limit else "")


def _scores(scores: dict) -> str:
    return ", ".join(f"{k} {scores[k]:.0%}" for k in _kinds(scores)) + f"; overall {scores['overall']:.0%}"


def print_report(report: dict, console: Console, last_question: bool = False) -> None:
    notes = Table(title="notes read", title_justify="left")
    for column in ("file", "date", "topic", "facts"):
        notes.add_column(column)
    for note in report["notes"]:
        facts = ", ".join(f"{n} {k}" for k, n in note["facts"].items()) or "none found"
        notes.add_row(note["file"], note["date"] or "(no date)", _cut(note["topic"] or "", 40), facts)
    console.print(notes)
    for skipped in report["skipped"]:
        console.print(f"[yellow]skipped {skipped['file']}: {skipped['why']}[/]", highlight=False)
    if untaught := report["data"].get("untaught_items"):
        console.print(f"[yellow]the notes also hold {untaught} items in their text (list items, sentences, action "
                      f"items) that recipe {report['recipe']['name']} does not teach; for questions about them, "
                      "--recipe notes-open-book trains the run to read its notes[/]", highlight=False)
    if "questions" in report:
        table = Table(title=f"questions ({report['questions']['file']}), before and after tuning", show_lines=True)
        table.add_column("question", ratio=2)
        table.add_column("before", ratio=3)
        table.add_column("after", ratio=3)
        for r in report["questions"]["results"]:
            table.add_row(r["question"], f"{_mark(r['correct_before'])} {_cut(r['before'], 90)}",
                          f"{_mark(r['correct_after'])} {_cut(r['after'], 240)}")
        console.print(table)
    train = report["train"]
    console.print(f"trained {train['steps']} steps, {train['epochs']:g} epochs, {train['tokens']:,} tokens"
                  + (" (stopped on the held-out check)" if train["stopped_early"] else "")
                  + (f", {train['blend']['alpha']:g} of it kept (blended toward the base)"
                     if train.get("blend") and train["blend"]["alpha"] < 1 else ""), highlight=False)
    console.print(f"self-check, {len(report['self_check']['results'])} held-out questions: "
                  f"{_scores(report['self_check']['accuracy'])}", highlight=False)
    answering = report.get("answering") or {}
    if answering:
        why = ("the recipe's way" if answering.get("recipe_mode", answering["mode"]) == answering["mode"]
               else "the check read better so")
        console.print(f"answers {answering['mode']} in chat and serve ({why}): {answering['closed_book']:.0%} of "
                      f"{answering['questions']} of them from the weights, {answering['open_book']:.0%} with the "
                      "notes in the prompt" + (f" (p = {answering['p_value']:.2g})" if "p_value" in answering else ""),
                      highlight=False)
    if "questions" in report:
        q = report["questions"]
        console.print(f"questions: {q['before']['overall']:.0%} before, {q['after']['overall']:.0%} after "
                      f"({_scores(q['after'])})", highlight=False)
        if "open_book" in q:
            opened = q["open_book"]
            console.print(f"questions with the notes in the prompt (open-book): "
                          f"{opened['before']['overall']:.0%} before, {opened['after']['overall']:.0%} after "
                          f"({_scores(opened['after'])})", highlight=False)
            base = opened["before"]["overall"]
            if base > max(q["after"]["overall"], opened["after"]["overall"]):  # retrieval alone beats the tuning
                console.print(f"[yellow]the base model read more of these questions with the notes ({base:.0%}) than "
                              f"this run either way: labtune chat {report['model']} --notes {report['notes_dir']}[/]",
                              highlight=False)
    general = report["general"]
    for probe in general["probes"]:
        console.print(f"general check, {probe['question']!r}\n  before: {_mark(probe['kept_before'])} "
                      f"{_cut(probe['before'], 160)}\n  after:  {_mark(probe['kept_after'])} {_cut(probe['after'], 160)}",
                      highlight=False)
    if general["perplexity_change"] is not None:
        console.print(f"general perplexity: {general['perplexity_before']:.3f} -> {general['perplexity_after']:.3f} "
                      f"({general['perplexity_change']:+.1%})", highlight=False)
    console.print("times (s): " + ", ".join(f"{k} {v:g}" for k, v in report["seconds"].items()), highlight=False)
    if last_question and "questions" in report:
        last = report["questions"]["results"][-1]
        console.print(f"\n[bold]{last['question']}[/]\n  {last['after']}", highlight=False)
    console.print(f"\nreport: {Path(report['run_dir']) / 'report.json'}, {Path(report['run_dir']) / 'report.png'}"
                  f"\nTalk to your model:  [bold]labtune chat {report['run_dir']}[/]", highlight=False)
