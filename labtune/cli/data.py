"""CLI: `labtune data check | convert | render`. Parsing only; the work is in check/convert/render.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from labtune.errors import DataError, LabtuneError

FORMAT_HELP = "Input format: sharegpt | alpaca | openai | completion (default: detected per file)."
SKIP_HELP = "Drop invalid records (and report how many and why) instead of refusing the file."


def _template_and_tokenizer(model: Optional[str], template: Optional[str]):
    """With a model (or run): its tokenizer and template. Without: the template with its own `</s>`."""
    if model is None:
        from labtune.data.templates import get_template

        return get_template(template or "tokenizer"), None
    from labtune.model.load import load

    loaded = load(model, template=template, with_model=False)
    return loaded.template, loaded.tokenizer


def _report_skipped(problems: list[DataError], console: Console) -> None:
    if problems:
        console.print(f"skipped {len(problems)} invalid record{'s' if len(problems) != 1 else ''}:",
                      style="yellow")
        for problem in problems:
            console.print(f"  {problem}", highlight=False, markup=False, soft_wrap=True)


def register(app: typer.Typer, data_app: typer.Typer) -> None:
    @data_app.command("check")
    def check_command(
        files: list[Path] = typer.Argument(..., help="Data files (JSON array or JSONL)."),
        model: str = typer.Option("smollm2-135m", "--model", help="Model or run whose tokenizer counts tokens."),
        template: Optional[str] = typer.Option(None, "--template", help="tokenizer | vicuna_v1.1 | alpaca | "
                                               "FILE.jinja (default: the model's own chat template)."),
        model_max_length: int = typer.Option(2048, "--model_max_length", "--model-max-length",
                                             help="Longest sample in tokens; longer ones are truncated."),
        format: Optional[str] = typer.Option(None, "--format", help=FORMAT_HELP),
        skip_invalid: bool = typer.Option(False, "--skip-invalid", help=SKIP_HELP),
        as_json: bool = typer.Option(False, "--json", help="Machine-readable report on stdout."),
    ) -> None:
        """Validate files and show records, tokens, truncation, masking and one highlighted example."""
        from labtune.data.check import check_files, print_report

        if model_max_length < 1:
            raise LabtuneError("--model_max_length must be at least 1")
        chat_template, tokenizer = _template_and_tokenizer(model, template)
        report = check_files([str(f) for f in files], chat_template, tokenizer, model, model_max_length, format)
        if as_json:
            typer.echo(json.dumps(report.to_dict(chat_template), ensure_ascii=False, indent=2))
        else:
            print_report(report, chat_template, Console())
        if report.problems and not skip_invalid:
            raise LabtuneError(f"{len(report.problems)} invalid record{'s' if len(report.problems) != 1 else ''} "
                               "(listed in the report); fix them or pass --skip-invalid")

    @data_app.command("convert")
    def convert_command(
        src: Path = typer.Argument(..., help="Input data file."),
        out: Path = typer.Option(..., "-o", "--out", help="Output file (written atomically)."),
        to: str = typer.Option(..., "--to", help="sharegpt (JSON) | alpaca (JSON) | openai (JSONL) | "
                                                      "completion (JSONL, prompt and completion)."),
        format: Optional[str] = typer.Option(None, "--format", help=FORMAT_HELP),
        skip_invalid: bool = typer.Option(False, "--skip-invalid", help=SKIP_HELP),
    ) -> None:
        """Convert between ShareGPT, Alpaca and OpenAI-messages files."""
        from labtune.data.convert import convert

        written, skipped = convert(src, out, to, format, skip_invalid)
        console = Console(stderr=True)
        _report_skipped(skipped, console)
        console.print(f"wrote {written} records to {out} ({to})", highlight=False)

    @data_app.command("render")
    def render_command(
        file: Path = typer.Argument(..., help="Data file."),
        template: Optional[str] = typer.Option(None, "--template", help="tokenizer | vicuna_v1.1 | alpaca | "
                                               "FILE.jinja (tokenizer needs --model)."),
        model: Optional[str] = typer.Option(None, "--model", help="Write the end of turn as this model's EOS "
                                            "token (default: the template's own text, </s>)."),
        format: Optional[str] = typer.Option(None, "--format", help=FORMAT_HELP),
        skip_invalid: bool = typer.Option(False, "--skip-invalid", help=SKIP_HELP),
        as_json: bool = typer.Option(False, "--json", help="A JSON list of {index, id, text, trainable}."),
    ) -> None:
        """Print the exact text each record trains on, in record order."""
        from labtune.data.render import render_file

        chat_template, _ = _template_and_tokenizer(model, template)
        rendered, skipped = render_file(file, chat_template, format, skip_invalid)
        if as_json:
            typer.echo(json.dumps(rendered, ensure_ascii=False, indent=2))
        else:
            for item in rendered:
                typer.echo(f"----- record {item['index']}" + (f" (id={item['id']})" if item["id"] else "")
                           + " -----")
                typer.echo(item["text"])
        _report_skipped(skipped, Console(stderr=True))
