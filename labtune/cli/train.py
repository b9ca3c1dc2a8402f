"""`labtune train` and `labtune bench train`.

The train command's options are generated from TrainConfig's fields, so the YAML keys, the flags
(HF/FastChat spelling: `--num_train_epochs`) and their help can never drift apart.
"""

from __future__ import annotations

import inspect
import types
import typing
from typing import Optional

import typer

from labtune.train.config import TrainConfig, load_config

SHORT = {"output_dir": "-o", "data": "-d", "model": "-m"}
LISTS = ("data", "lora_target_modules", "frozen_parameters")


def _base_type(annotation):
    """`int | None` -> int; lists stay lists of str."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        annotation = args[0]
    return annotation


def _option_params() -> list[inspect.Parameter]:
    params = []
    for name, field in TrainConfig.model_fields.items():
        base = _base_type(field.annotation)
        flags = [f"--{name}"]
        if name in SHORT:
            flags.append(SHORT[name])
        help_text = (field.description or "") + f" (default: {field.get_default(call_default_factory=True)})"
        if base is bool:
            flags = [f"--{name}/--no-{name}"]
            annotation = Optional[bool]
        elif name in LISTS:
            annotation = Optional[list[str]]
        else:
            annotation = Optional[base]
        option = typer.Option(None, *flags, help=help_text, show_default=False)
        params.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=option, annotation=annotation))
    return params


def _train(config: Optional[str] = None, recipe: Optional[str] = None, **options) -> None:
    from labtune.recipes import read_recipe, recipe_path
    from labtune.train.distributed.process import launched_by_torchrun, leave_worker, report_errors, shutdown
    from labtune.train.loop import train

    if options.get("lora_target_modules"):
        options["lora_target_modules"] = [m for v in options["lora_target_modules"] for m in v.split(",") if m]
    base = (read_recipe(recipe).get("train") or {}) if recipe else None
    cfg = load_config(config, options, base=base, base_source=recipe_path(recipe) if recipe else None)
    if cfg.nproc and not launched_by_torchrun():
        from labtune.train.distributed.launch import launch

        return launch(cfg)
    try:
        with report_errors():
            train(cfg)
    except BaseException:
        shutdown()
        raise
    leave_worker()  # a torchrun worker that finished ends here (see its docstring); one process returns


_config_param = inspect.Parameter(
    "config", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Optional[str],
    default=typer.Argument(None, help="YAML file whose keys are the option names; options override it"))
_recipe_param = inspect.Parameter(
    "recipe", inspect.Parameter.KEYWORD_ONLY, annotation=Optional[str],
    default=typer.Option(None, "--recipe", help="a recipe name (labtune recipes) or YAML file whose `train` section "
                         "sets the defaults; the config file and the options override it", show_default=False))
_train.__signature__ = inspect.Signature([_config_param, _recipe_param, *_option_params()])
_train.__annotations__ = {p.name: p.annotation for p in _train.__signature__.parameters.values()}


def register(app: typer.Typer, data_app: typer.Typer) -> None:
    app.command("train", help="Fine-tune a model (full or LoRA) on conversation data; resumable.")(_train)
    bench_app = typer.Typer(help="Benchmarks.", no_args_is_help=True)
    app.add_typer(bench_app, name="bench")

    @bench_app.command("train")
    def bench_train(
        model: str = typer.Option("smollm2-135m", "--model", "-m", help="model to train"),
        data: Optional[str] = typer.Option(None, "--data", "-d", help="ShareGPT/Alpaca file (default: shared dummy data)"),
        samples: int = typer.Option(64, help="conversations to train on"),
        max_length: int = typer.Option(512, "--model_max_length", help="sequence limit for both trainers"),
        batch_size: int = typer.Option(4, "--per_device_train_batch_size"),
        steps: int = typer.Option(8, "--max_steps", help="optimizer steps measured (after one warm-up step)"),
        trl: bool = typer.Option(True, "--trl/--no-trl", help="also run TRL's SFTTrainer"),
        threads: Optional[int] = typer.Option(None, help="torch threads (default: torch's choice)"),
        output: Optional[str] = typer.Option(None, "--output", "-o", help="also write the results as JSON here"),
        low_cpu_memory: bool = typer.Option(False, "--low_cpu_memory",
                                            help="labtune side: trim the heap during each step (host_memory.py)"),
        fused_ops: bool = typer.Option(True, "--fused_ops/--no-fused_ops",
                                       help="labtune side: chunked loss and lean SwiGLU (fused.py)"),
        gradient_checkpointing: bool = typer.Option(
            False, "--gradient_checkpointing",
            help="both trainers recompute activations in backward (TRL's SFTConfig turns it on by default; "
                 "the bench sets it the same on both sides)"),
    ) -> None:
        """Tokens/s, peak RSS and MFU of labtune's loop vs TRL's SFTTrainer on the same setting."""
        from labtune.train.bench import run_bench

        run_bench(model=model, data=data, samples=samples, max_length=max_length, batch_size=batch_size,
                  steps=steps, with_trl=trl, threads=threads, output=output, low_cpu_memory=low_cpu_memory,
                  fused_ops=fused_ops, gradient_checkpointing=gradient_checkpointing)
