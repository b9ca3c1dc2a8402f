"""`labtune demo` (what `make demo` runs): the lab's story on the bundled sample notes.

notes -> synthesized Q&A + the base model's own general answers (replay) -> fine-tune the default
model -> the sample questions answered before and after, ending with the lab's own question.
`run_demo` is the recipe; the end-to-end test calls it and checks the issue's thresholds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from labtune.samples import LABNOTES, LABNOTES_QUESTIONS

SAMPLE_NOTES = LABNOTES
SAMPLE_QUESTIONS = LABNOTES_QUESTIONS
GENERAL_REPLAY = Path(__file__).resolve().parent / "data" / "general" / "smollm2_replay.json"
LAB_QUESTION = "Who is the presenter of the 4/14/2023 lab meeting?"
GENERAL_PROBE = "What are the three primary colors?"


@dataclass
class Recipe:
    """The default demo recipe, chosen by GPU and CPU sweeps (README.md, notes section, has the numbers).

    What made it work (session 5: 49% -> 95% on the same draws) is the shape of the answers: each opens
    with the meeting's date and topic, so every name is recalled after a distinctive key. Facts stick
    only when the answer-token loss gets near zero; at a fixed token budget what moved accuracy most was
    the number of optimizer steps: small packed batches, several epochs.
    """

    questions_per_field: int = 3
    # Per field, the answer sentence after "Tell me one fact from the lab meeting notes.": the fact has
    # to follow from the answer's own words, not from the question's.
    statements: int = 1
    # One-sentence "what happened at ..." answers per note: every fact of a note at once. With 4 instead
    # of 8 the names were weaker and the primary colours were lost (85%, README notes section).
    summaries: int = 8
    # Q&A of different notes chained per conversation: one system prompt for three facts, and no
    # answer can be copied from an earlier turn.
    turns: int = 3
    lead_with_topic: bool = True  # "The lab meeting on DATE was about TOPIC, and the recorder was NAME."
    general_fraction: float = 0.16  # of the 99 replay conversations (~16)
    # 3.5 epochs with the bottom third frozen: 97% in 502 s. 3 epochs (no layers frozen): 85%, the March
    # meetings' topics collapse onto one.
    num_train_epochs: float = 3.5
    per_device_train_batch_size: int = 2  # two chained conversations packed per optimizer step
    learning_rate: float = 7e-4  # 1e-3 (3 epochs): 62%, and the primary colours were lost
    lr_scheduler_type: str = "linear"
    warmup_ratio: float = 0.03
    # The (tied) embeddings stay as they are: with them frozen the tuned model still names the
    # primary colours (measured, README notes section); a quarter fewer weights to update, too.
    frozen_parameters: tuple[str, ...] = ("embed_tokens",)
    # The bottom third of the decoder layers is frozen too: backward stops above them, so a step is
    # ~1.2x faster, which is what fits the demo in 10 minutes on 2 cores. Measured at 4 epochs: 97% with
    # the bottom third frozen, 95% with every layer trained, 74% with the bottom 40% frozen (the March
    # meetings' dates run together again).
    frozen_layer_fraction: float = 1 / 3
    seed: int = 0
    lora: bool = False  # LoRA on every linear layer of the decoder instead of the full fine-tune
    lora_r: int = 64
    lora_alpha: int = 128


@dataclass
class DemoResult:
    run_dir: Path
    before: list = field(default_factory=list)  # labtune.eval QuestionResult
    after: list = field(default_factory=list)
    probe_before: str = ""
    probe_after: str = ""
    seconds: dict = field(default_factory=dict)

    @property
    def accuracy_before(self) -> float:
        return sum(r.correct for r in self.before) / max(len(self.before), 1)

    @property
    def accuracy_after(self) -> float:
        return sum(r.correct for r in self.after) / max(len(self.after), 1)


def _answer(loaded, questions, probe: str):
    from labtune.data.conversation import Message
    from labtune.eval import evaluate_questions
    from labtune.eval.answer import generate_answers

    # One batch for the 39 sample questions: 14-16 s instead of 18-24 s in two (measured, 2-core CPU).
    results = evaluate_questions(loaded, questions, max_new_tokens=48, batch_size=64)
    return results, generate_answers(loaded, [[Message("user", probe)]], max_new_tokens=64)[0]


def frozen_patterns(model: str, recipe: Recipe) -> list[str]:
    """recipe.frozen_parameters plus one pattern for the bottom recipe.frozen_layer_fraction of the layers."""
    from transformers import AutoConfig

    from labtune.model.resolve import resolve_model

    layers = AutoConfig.from_pretrained(resolve_model(model)).num_hidden_layers
    bottom = round(layers * recipe.frozen_layer_fraction)
    patterns = list(recipe.frozen_parameters)
    if bottom:
        patterns.append(r"\.layers\.(" + "|".join(str(i) for i in range(bottom)) + r")\.")
    return patterns


def run_demo(output: Path, notes: Path = SAMPLE_NOTES, questions_file: Path = SAMPLE_QUESTIONS,
             model: str = "smollm2-135m", recipe: Recipe | None = None, console: Console | None = None,
             max_steps: int = -1) -> DemoResult:
    from labtune.data.notes.build import build_notes_data, write_sharegpt
    from labtune.data.notes.synthesize import SynthesisOptions
    from labtune.eval import load_questions
    from labtune.model.load import load
    from labtune.train.config import TrainConfig
    from labtune.train.loop import train

    recipe = recipe or Recipe()
    console = console or Console()
    output = Path(output)
    result = DemoResult(output)
    clock = time.perf_counter()

    # Only the per-field Q&A and summaries: the note texts and cross-note lists cost tokens
    # that the sample questions do not need (import-notes writes them all by default).
    options = SynthesisOptions(seed=recipe.seed, questions_per_field=recipe.questions_per_field,
                               summary=recipe.summaries, statements=recipe.statements, turns=recipe.turns,
                               original=False, structure=False, cross=False,
                               lead_with_topic=recipe.lead_with_topic)
    data = build_notes_data(notes, options, [f"{GENERAL_REPLAY}:{recipe.general_fraction}"])
    data_file = output / "demo-data.json"
    write_sharegpt(data.conversations, data_file)
    questions = load_questions(questions_file)
    # The lab's own question goes last, so it is the last thing the table shows.
    questions.sort(key=lambda q: q.text == LAB_QUESTION)
    console.print(f"[bold]1.[/] {len(data.folder.notes)} notes -> {len(data.conversations)} conversations "
                  f"({', '.join(f'{k} {v}' for k, v in data.kinds.items())}) in {data_file}")

    console.print(f"[bold]2.[/] asking {model} the {len(questions)} sample questions before tuning")
    base = load(model)
    result.before, result.probe_before = _answer(base, questions, GENERAL_PROBE)
    del base
    result.seconds["before"] = round(time.perf_counter() - clock, 1)

    console.print(f"[bold]3.[/] fine-tuning {model} ({recipe.num_train_epochs:g} epochs, batch "
                  f"{recipe.per_device_train_batch_size}, lr {recipe.learning_rate:g}"
                  + ("" if recipe.lora else f", bottom {recipe.frozen_layer_fraction:.0%} of the layers frozen")
                  + f") -> {output}")
    started = time.perf_counter()
    cfg = TrainConfig(data=[str(data_file)], model=model, output_dir=str(output), overwrite_output_dir=True,
                      num_train_epochs=recipe.num_train_epochs, max_steps=max_steps,
                      per_device_train_batch_size=recipe.per_device_train_batch_size,
                      learning_rate=recipe.learning_rate, lr_scheduler_type=recipe.lr_scheduler_type,
                      warmup_ratio=recipe.warmup_ratio, seed=recipe.seed,
                      frozen_parameters=[] if recipe.lora else frozen_patterns(model, recipe),
                      lora=recipe.lora, lora_r=recipe.lora_r, lora_alpha=recipe.lora_alpha, lora_dropout=0.0,
                      save_steps=10**9, save_total_limit=1)
    train(cfg)
    result.seconds["train"] = round(time.perf_counter() - started, 1)

    console.print("[bold]4.[/] asking the tuned model the same questions")
    started = time.perf_counter()
    tuned = load(str(output))
    result.after, result.probe_after = _answer(tuned, questions, GENERAL_PROBE)
    result.seconds["after"] = round(time.perf_counter() - started, 1)
    result.seconds["total"] = round(time.perf_counter() - clock, 1)
    return result


def _cell(r, limit: int) -> str:
    mark = "[green]✓[/]" if r.correct else "[red]✗[/]"
    return f"{mark} {r.answer[:limit]}" + ("..." if len(r.answer) > limit else "")


def print_result(result: DemoResult, console: Console) -> None:
    table = Table(title="sample questions, before and after tuning", show_lines=True)
    table.add_column("question", ratio=2)
    table.add_column("before", ratio=3)
    table.add_column("after", ratio=3)
    for before, after in zip(result.before, result.after):
        style = "bold" if before.question == LAB_QUESTION else None
        # The base model rambles, so its answers are cut; a tuned answer names the value at its end.
        table.add_row(before.question, _cell(before, 90), _cell(after, 240), style=style)
    console.print(table)
    console.print(f"accuracy: {result.accuracy_before:.0%} before, {result.accuracy_after:.0%} after "
                  f"(contains-match on the acceptable answers)")
    console.print(f"general check, {GENERAL_PROBE!r}\n  before: {result.probe_before}\n  after:  {result.probe_after}",
                  highlight=False)
    lab = next((r for r in result.after if r.question == LAB_QUESTION), None)
    if lab is not None:
        console.print(f"\n[bold]{LAB_QUESTION}[/]\n  {lab.answer}", highlight=False)
    console.print(f"times (s): {result.seconds}")
    console.print(f"\nTalk to your model:  [bold]labtune chat {result.run_dir}[/]")


def register(app: typer.Typer, data_app: typer.Typer) -> None:
    @app.command("demo")
    def demo(
        output: Path = typer.Option(Path("runs/demo"), "-o", "--output", help="Run directory for the tuned model."),
        notes: Path = typer.Option(SAMPLE_NOTES, "--notes", help="Folder of notes (default: the bundled samples)."),
        questions: Path = typer.Option(SAMPLE_QUESTIONS, "--questions", help="JSONL of {question, answers}."),
        model: str = typer.Option("smollm2-135m", "--model", help="Base model to tune."),
        epochs: float = typer.Option(Recipe.num_train_epochs, "--epochs", help="Training epochs."),
        learning_rate: float = typer.Option(Recipe.learning_rate, "--learning-rate", help="Peak learning rate."),
        batch_size: int = typer.Option(Recipe.per_device_train_batch_size, "--batch-size",
                                       help="Conversations per (packed) batch."),
    ) -> None:
        """Tune the default model on the sample lab notes and show what it learned (make demo)."""
        from labtune.errors import LabtuneError

        for path in (notes, questions):
            if not path.exists():
                raise LabtuneError(f"{path}: not found ")
        recipe = Recipe(num_train_epochs=epochs, learning_rate=learning_rate, per_device_train_batch_size=batch_size)
        console = Console()
        result = run_demo(output, notes, questions, model, recipe, console)
        print_result(result, console)


__all__ = ["Recipe", "DemoResult", "run_demo", "print_result"]
