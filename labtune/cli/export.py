"""`labtune export`, `labtune import-llama`, `labtune import-delta`: parse, call labtune.export, report."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from labtune.errors import LabtuneError


class Target(str, Enum):
    hf = "hf"
    gguf = "gguf"
    ollama = "ollama"
    delta = "delta"


class Quant(str, Enum):
    f32 = "f32"
    f16 = "f16"
    q8_0 = "q8_0"
    q4_0 = "q4_0"


def _console():
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def _size(path: Path) -> str:
    total = sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else path.stat().st_size
    return f"{total / 2**20:.1f} MiB"


def export(
    run_or_model: Annotated[str, typer.Argument(help="Run directory (or a model directory, .gguf, alias).")],
    to: Annotated[Target, typer.Option("--to", help="hf: standalone HF dir (LoRA merged); gguf: one file for "
                                       "llama.cpp; ollama: GGUF + Modelfile; delta: difference to --base.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write (a directory; a file for gguf).")],
    quant: Annotated[Quant, typer.Option(help="GGUF precision: f32, f16, q8_0 (8-bit), q4_0 (4-bit).")] = Quant.f16,
    base: Annotated[Optional[str], typer.Option(help="delta: the base model (default: the run's base).")] = None,
    template: Annotated[Optional[str], typer.Option(help="Template for a plain model (runs use their own).")]
    = None,
    force: Annotated[bool, typer.Option(help="Replace OUTPUT if it exists.")] = False,
) -> None:
    """Export a run for transformers, llama.cpp, Ollama, or as delta weights."""
    from labtune.export.output import check_destination
    from labtune.export.source import load_source

    console = _console()
    check_destination(output, force)  # before the (slow) model load
    source = load_source(run_or_model, template)
    base = base or source.base_model
    if to is Target.delta and base is None:
        raise LabtuneError("--to delta needs --base (the model the delta is taken against)")
    if to is Target.hf:
        from labtune.export.hf import export_hf

        export_hf(source, output, force)
        console.print(f"wrote {output} ({_size(output)}): load it with transformers "
                      f"AutoModelForCausalLM.from_pretrained({str(output)!r})")
    elif to is Target.gguf:
        from labtune.export.gguf_writer import export_gguf

        export_gguf(source, output, quant.value, force)
        console.print(f"wrote {output} ({_size(output)}, {quant.value}): run it with "
                      f"`llama-cli -m {output} -cnv` or `labtune chat {output}`")
    elif to is Target.ollama:
        from labtune.export.ollama import export_ollama

        export_ollama(source, output, quant.value, force)
        console.print(f"wrote {output}/Modelfile and model.gguf ({_size(output)}, {quant.value}): "
                      f"`cd {output} && ollama create {source.run.name if source.run else 'mymodel'} -f Modelfile`")
    else:
        from labtune.export.delta import export_delta

        manifest = export_delta(source, base, output, force)
        console.print(f"wrote {output} ({_size(output)}): delta to {base} (base sha256 "
                      f"{manifest['base_sha256'][:16]}..., result {manifest['result_sha256'][:16]}...); apply it "
                      f"with `labtune import-delta {output} --base {base} -o OUT`")


def import_llama(
    ckpt_dir: Annotated[Path, typer.Argument(help="Meta's folder: params.json, consolidated.NN.pth, "
                                             "tokenizer.model.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="HF model directory to write.")],
    max_position_embeddings: Annotated[int, typer.Option("--max_position_embeddings", "--max-position-embeddings",
                                                         min=1, help="Context length (LLaMA 1: 2048, "
                                                         "LLaMA 2: 4096).")] = 2048,
    force: Annotated[bool, typer.Option(help="Replace OUTPUT if it exists.")] = False,
) -> None:
    """Convert Meta's original LLaMA checkpoint into a Hugging Face model directory."""
    from labtune.export.meta_llama import import_llama as convert
    from labtune.export.output import check_destination

    check_destination(output, force)
    convert(ckpt_dir, output, max_position_embeddings, force)
    _console().print(f"wrote {output} ({_size(output)}): train it with `labtune train --model {output} "
                     "--template vicuna_v1.1 --data ...`")


def import_delta(
    delta: Annotated[Path, typer.Argument(help="Directory written by `labtune export --to delta`.")],
    base: Annotated[str, typer.Option(help="The base model the delta was made against.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="HF model directory to write.")],
    force: Annotated[bool, typer.Option(help="Replace OUTPUT if it exists.")] = False,
) -> None:
    """Apply delta weights to their base model; the base and the result are checked by sha256."""
    from labtune.export.delta import import_delta as apply
    from labtune.export.output import check_destination

    check_destination(output, force)
    manifest = apply(delta, base, output, force)
    _console().print(f"wrote {output} ({_size(output)}): base and result verified "
                     f"(sha256 {manifest['result_sha256'][:16]}...)")


def register(app: typer.Typer, data_app: typer.Typer) -> None:
    app.command("export")(export)
    app.command("import-llama")(import_llama)
    app.command("import-delta")(import_delta)
