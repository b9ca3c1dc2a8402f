"""`labtune learn`: a folder of notes -> a tuned run that answers questions about them, and a report.

read (refusing bad input before anything is written) -> synthesize (every fact as Q&A, the base
model's general answers mixed back in, a held-out self-check set aside) -> retrieval index -> ask the
base model (general probes, general perplexity, --questions closed- and open-book) -> tune (stopping on
the held-out check) -> ask the tuned model (self-check, --questions closed- and open-book, general) ->
report (terminal, report.json, report.png).
"""

from __future__ import annotations

import json
import shutil
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from labtune.data.convert import to_sharegpt, write_atomic
from labtune.data.notes.note import NotesFolder
from labtune.data.notes.synthesize import Synthesized, synthesize
from labtune.learn.answering import choose_answering, trained_open_book
from labtune.learn.blend import blend_toward_base
from labtune.learn.check import EarlyStop, TaughtAnswers, spread, watched
from labtune.learn.general import Replay, general_state, replay
from labtune.learn.inputs import check_output, read_folder
from labtune.learn.reading import read_by_base
from labtune.learn.recipe import Recipe, load_recipe
from labtune.learn.report import build_report, plot_report
from labtune.model.resolve import DEFAULT_MODEL, resolve_model
from labtune.model.run_dir import LEARN_DATA, REPORT, REPORT_PLOT, SELF_CHECK, RunDir, write_json_atomic

if TYPE_CHECKING:
    from labtune.retrieval import NotesIndex

BEFORE_TOKENS = 48  # the base model rambles; its answers are cut here
AFTER_TOKENS = 96  # taught answers end themselves; this only bounds a run that has not learned to


@dataclass
class Learned:
    run_dir: Path
    report: dict


class Clock:
    def __init__(self):
        self.seconds: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str):
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = round(time.perf_counter() - started, 1)


def training_data(folder: NotesFolder, recipe: Recipe, seed: int) -> tuple[Synthesized, Replay, list]:
    """The notes as Q&A, the general replay set, and its conversations mixed into training."""
    made = synthesize(folder.notes, recipe.synthesis, folder.day_first)
    general = replay(recipe.general.held_out)
    return made, general, general.sample(round(recipe.general.replay_per_conversation * len(made.conversations)), seed)


def write_data(made: Synthesized, mixed: list, output: Path) -> None:
    records = []
    for i, conv in enumerate(made.conversations + mixed):
        record = to_sharegpt(conv)
        record.setdefault("id", f"general-{i}")
        records.append(record)
    write_atomic(output / LEARN_DATA, json.dumps(records, ensure_ascii=False, indent=1) + "\n")
    write_atomic(output / SELF_CHECK, "".join(json.dumps(q.to_record(), ensure_ascii=False) + "\n"
                                              for q in made.check))


def answer_tokens(expected: list[str], tokenizer) -> int:
    """Room for the longest taught answer, so a check question is never cut before its value."""
    longest = max((len(tokenizer(e, add_special_tokens=False)["input_ids"]) for e in expected), default=0)
    return min(max(longest + 8, 32), 160)


def build_retrieval_index(notes_dir: Path, run_dir: Path) -> tuple[dict, NotesIndex | None]:
    """The run's notes index, for open-book answers in chat, serve and eval, and what to report of it.

    A failure here is reported (terminal and report), not raised: the run still tunes and answers
    closed-book, and `labtune index` can build the index later.
    """
    from labtune.retrieval import build_index

    index_dir = RunDir(run_dir).index_dir
    try:
        built = build_index(notes_dir, index_dir)
    except Exception as exc:  # noqa: BLE001 - reported in the report and on the terminal
        return {"error": f"{type(exc).__name__}: {exc}"}, None
    return {"path": str(index_dir), "chunks": len(built.index.chunks), "seconds": round(built.seconds, 2)}, built.index


def ask(loaded, questions: list, max_new_tokens: int, index) -> dict:
    """--questions answered from the weights alone and, with the run's index, open-book."""
    from labtune.eval import evaluate_questions

    asked = {"closed": evaluate_questions(loaded, questions, max_new_tokens=max_new_tokens, batch_size=64)}
    if index is not None:
        asked["open"] = evaluate_questions(loaded, questions, max_new_tokens=max_new_tokens, batch_size=32,
                                           notes=index)
    return asked


def blend_back(output: Path, model: str, check: TaughtAnswers, grid: list[float]):
    """The run's model/ rewritten as the chosen blend of its tuned and its base weights; returns the
    blend and the loaded run, which holds exactly the weights written."""
    from labtune.model.load import load
    from labtune.train.output import write_model

    base_state = load(model).model.state_dict()
    tuned = load(str(output))
    blend = blend_toward_base(tuned.model, base_state, check, grid)
    if blend.alpha < 1:
        write_model(output, tuned.model, tuned.tokenizer, tuned.template, lora=False, merge=False)
    return blend, tuned


def learn(notes_dir: Path, output: Path, model: str = DEFAULT_MODEL, questions_file: Path | None = None,
          seed: int = 0, recipe: Recipe | str | Path | None = None, console: Console | None = None,
          max_steps: int = -1) -> Learned:
    """Tune `model` on the notes in `notes_dir` into the run directory `output`; returns its report
    (`labtune.learn.report.print_report` shows it). Progress lines go to `console`."""
    from labtune.data.templates import get_template
    from labtune.eval import evaluate_questions, load_questions
    from labtune.model.load import load, load_tokenizer
    from labtune.train.checkpoint import list_checkpoints
    from labtune.train.loop import train

    console = console or Console()
    notes_dir, output = Path(notes_dir), Path(output)
    clock, started = Clock(), time.perf_counter()
    recipe = (recipe if isinstance(recipe, Recipe) else load_recipe(recipe)).with_seed(seed)
    questions = load_questions(questions_file) if questions_file else []
    model_dir = resolve_model(model)
    check_output(output)
    with clock.stage("read"):
        folder = read_folder(notes_dir)
    with clock.stage("synthesize"):
        made, general, mixed = training_data(folder, recipe, seed)
        output.mkdir(parents=True, exist_ok=True)
        for stale in (REPORT, REPORT_PLOT):
            (output / stale).unlink(missing_ok=True)
        write_data(made, mixed, output)
    qa = sum(made.kinds.values())
    for path, why in folder.skipped:
        console.print(f"[yellow]skipped {path}: {why}[/]", highlight=False)
    console.print(f"[bold]1.[/] {len(folder.notes)} notes in {notes_dir}: {len(made.lessons)} facts -> {qa} Q&A in "
                  f"{len(made.conversations)} conversations, + {len(mixed)} general replay -> {output / LEARN_DATA}",
                  highlight=False)

    with clock.stage("index"):
        index, notes_index = build_retrieval_index(notes_dir, output)
    if "error" in index:
        console.print(f"[yellow]the retrieval index was not built: {index['error']}[/]", highlight=False)

    console.print(f"[bold]2.[/] asking {model} before tuning" + (f" ({len(questions)} questions"
                                                                 + (", also with the notes" if notes_index else "")
                                                                 + ")" if questions else ""))
    with clock.stage("before"):
        base = load(model)
        before = {"general": general_state(base, general.held_out)}
        if questions:
            before["questions"] = ask(base, questions, BEFORE_TOKENS, notes_index)
        read = read_by_base(base, made.reading, notes_index, BEFORE_TOKENS)
        del base
    if read:
        write_data(made, mixed + read, output)
    if made.reading:
        console.print(f"   the base model read {len(read)} of {len(made.reading)} content questions right with its "
                      "notes" + (": its answers join the training data" if read else ""), highlight=False)

    cfg = recipe.train_config(data=[str(output / LEARN_DATA)], output_dir=str(output), overwrite_output_dir=True,
                              model=model, seed=seed, max_steps=max_steps)
    tokenizer = load_tokenizer(model_dir)
    stopper = None
    if recipe.check.questions:
        check = TaughtAnswers(watched(made.check, recipe.check.questions, seed),
                              get_template(cfg.template, tokenizer), tokenizer)
        stopper = EarlyStop(check, recipe.check, log=lambda line: console.print(f"   {line}", highlight=False))
    console.print(f"[bold]3.[/] tuning {model} (recipe {recipe.name}: up to {cfg.num_train_epochs:g} epochs, "
                  f"lr {cfg.lr:g}" + (f", stopping when {recipe.check.stop_at:.0%} of {len(stopper.check.samples)} "
                                      "held-out questions are recalled" if stopper else "") + ")")
    with clock.stage("train"):
        train(cfg, stop_early=stopper)
        for kept in list_checkpoints(output):  # resumable state; a finished learn run does not resume
            shutil.rmtree(kept, ignore_errors=True)

    blend, tuned = None, None
    if recipe.general.blend and stopper and not (cfg.lora or cfg.q_lora):
        console.print(f"   blending back toward {model} as far as the held-out check allows")
        with clock.stage("blend"):
            blend, tuned = blend_back(output, model, stopper.check, recipe.general.blend)
        console.print((f"   kept {blend.alpha:g} of the tuning" if blend.alpha < 1 else
                       "   kept the tuned weights: no smaller share held the check's recall")
                      + f" (held-out recall {blend.recall[blend.alpha]:.0%})", highlight=False)

    asked = spread(made.check, recipe.check.report_questions, seed + 1)
    console.print(f"[bold]4.[/] asking the tuned model {len(asked)} held-out self-check questions"
                  + (f" ({min(len(asked), recipe.check.answering_questions)} again with its notes)"
                     if notes_index and recipe.check.answering_questions else "")
                  + (f" and the {len(questions)} questions" if questions else ""))
    with clock.stage("after"):
        tuned = tuned or load(str(output))  # the blend step already holds the run's final weights
        answer_length = answer_tokens([q.expected for q in asked], tokenizer)
        self_check = evaluate_questions(tuned, [q.to_record() for q in asked], max_new_tokens=answer_length,
                                        batch_size=64)
        answering = choose_answering(tuned, self_check, notes_index, recipe.check.answering_questions, answer_length,
                                     trained_open_book(recipe.synthesis))
        after = {"general": general_state(tuned, general.held_out)}
        if questions:
            after["questions"] = ask(tuned, questions, AFTER_TOKENS, notes_index)
        del tuned
    clock.seconds["total"] = round(time.perf_counter() - started, 1)
    report = build_report(notes_dir=notes_dir, run=RunDir(output), model=model, seed=seed, recipe=recipe,
                          folder=folder, made=made, replayed=len(mixed), stopper=stopper, self_check=self_check,
                          answering=answering,
                          before=before, after=after, questions_file=questions_file, index=index,
                          seconds=clock.seconds, blend=blend, read=len(read))
    write_json_atomic(output / REPORT, report)
    plot_report(report, output / REPORT_PLOT)
    return Learned(output, report)
