"""`labtune chat` and `labtune serve`: parse flags, load through the one loader, hand over."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from labtune.errors import LabtuneError

LOOPBACK = ("127.0.0.1", "localhost", "::1")


class EngineKind(str, Enum):
    torch = "torch"
    llama_cpp = "llama.cpp"


class Style(str, Enum):
    rich = "rich"
    simple = "simple"


def _engine(name: str, template: str | None, device: str | None, threads: int | None = None):
    """Load a run or model for inference, refusing pickle weights (only safetensors are read)."""
    import torch

    if threads:
        torch.set_num_threads(threads)
    from labtune.model.load import load
    from labtune.serve.generate import Engine
    from labtune.serve.safety import check_safetensors_only

    check_safetensors_only(name)
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    dtype = torch.bfloat16 if device.startswith("cuda") else torch.float32
    return Engine(load(name, dtype=dtype, device=device, template=template))


def chat(
    run_or_model: Annotated[str, typer.Argument(help="Run directory, model directory, .gguf file or smollm2-135m.")],
    style: Annotated[Style, typer.Option(help="rich: live Markdown; simple: plain streamed text.")] = Style.rich,
    temperature: Annotated[float, typer.Option(min=0.0, help="0 = greedy.")] = 0.7,
    top_p: Annotated[float, typer.Option(min=0.01, max=1.0,
                                         help="Nucleus sampling: keep the likeliest tokens up to this mass.")] = 1.0,
    max_new_tokens: Annotated[int, typer.Option(min=1)] = 512,
    repetition_penalty: Annotated[float, typer.Option(min=0.01)] = 1.0,
    seed: Annotated[Optional[int], typer.Option(help="Seed for sampling (reproducible answers).")] = None,
    system: Annotated[Optional[str], typer.Option(help="System message for the conversation.")] = None,
    prompt: Annotated[Optional[str], typer.Option(help="Answer this one message and exit.")] = None,
    prompt_file: Annotated[Optional[Path], typer.Option(help="Answer each line of this file, then exit.")] = None,
    template: Annotated[Optional[str], typer.Option(help="Template for a plain model (runs use their own).")] = None,
    device: Annotated[Optional[str], typer.Option(help="cpu, cuda, cuda:1 ... (default: cuda if present).")] = None,
    debug: Annotated[bool, typer.Option(help="Show token counts and tokens/s after each answer.")] = False,
    threads: Annotated[Optional[int], typer.Option(min=1, help="CPU threads for torch (default: all cores; "
                                                   "1 is faster when the CPU is shared).")] = None,
) -> None:
    """Chat with a run or a model in the terminal (streaming, multi-turn, !! commands)."""
    from rich.console import Console

    from labtune.serve.chat import ChatSession, answer_prompts, repl
    from labtune.serve.generate import Sampling

    prompts = None
    if prompt_file is not None:
        try:
            prompts = prompt_file.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise LabtuneError(f"{prompt_file}: cannot read prompt file: {exc.strerror}") from None
    elif prompt is not None:
        prompts = [prompt]
    console = Console(highlight=False)
    # Markdown re-flows text; a script reading our output gets the plain stream instead.
    if prompts is not None and not console.is_terminal:
        style = Style.simple
    sampling = Sampling(temperature=temperature, top_p=top_p, max_new_tokens=max_new_tokens,
                        repetition_penalty=repetition_penalty, seed=seed)
    engine = _engine(run_or_model, template, device, threads)
    session = ChatSession(engine, sampling, console, system, style.value, debug)
    if prompts is not None:
        answer_prompts(session, prompts)
    else:
        try:
            import readline  # noqa: F401  (line editing and history for input(), where available)
        except ImportError:
            pass
        repl(session, lambda: console.input("[bold green]user:[/] "))


def serve(
    run_or_model: Annotated[str, typer.Argument(help="Run directory, model directory, .gguf file or smollm2-135m.")],
    host: Annotated[str, typer.Option(help="Address to bind; other than loopback exposes the server.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535)] = 8000,
    api_key: Annotated[Optional[str], typer.Option(envvar="LABTUNE_API_KEY", show_envvar=True,
                                                   help="Require `Authorization: Bearer KEY` on /v1.")] = None,
    max_tokens: Annotated[int, typer.Option(min=1, help="Cap on max_tokens per request.")] = 1024,
    max_prompt_tokens: Annotated[Optional[int], typer.Option(min=1, help="Cap on prompt tokens "
                                                             "(default: the model's context).")] = None,
    max_waiting: Annotated[int, typer.Option(min=0, help="Requests that may wait for the model; "
                                             "more get 429.")] = 8,
    max_body_bytes: Annotated[int, typer.Option(min=1024)] = 1 << 20,
    model_name: Annotated[Optional[str], typer.Option(help="Model id shown by /v1/models "
                                                      "(default: RUN_OR_MODEL).")] = None,
    template: Annotated[Optional[str], typer.Option(help="Template for a plain model (runs use their own).")] = None,
    device: Annotated[Optional[str], typer.Option(help="cpu, cuda, cuda:1 ... (default: cuda if present).")] = None,
    threads: Annotated[Optional[int], typer.Option(min=1, help="CPU threads for torch (default: all cores; "
                                                   "1 is faster when the CPU is shared).")] = None,
    engine_kind: Annotated[EngineKind, typer.Option("--engine", help="torch, or llama.cpp to run a .gguf with "
                                                    "llama-cpp-python (pip install 'labtune[llamacpp]').")]
    = EngineKind.torch,
) -> None:
    """Serve an OpenAI-compatible API and a web chat page (http://HOST:PORT/)."""
    import uvicorn
    from rich.console import Console

    from labtune.serve.api import Limits, create_app

    console = Console(stderr=True, highlight=False)
    if host not in LOOPBACK and not api_key:
        console.print(f"[yellow]warning:[/] binding {host} without --api-key: anyone who can reach this "
                      "port can use the model")
    if engine_kind is EngineKind.llama_cpp:
        from labtune.serve.llamacpp_engine import load_engine

        engine = load_engine(run_or_model, template, threads)
    else:
        engine = _engine(run_or_model, template, device, threads)
    limits = Limits(max_body_bytes=max_body_bytes, max_prompt_tokens=max_prompt_tokens, max_tokens=max_tokens,
                    max_waiting=max_waiting)
    app = create_app(engine, api_key=api_key, limits=limits, model_name=model_name)
    console.print(f"serving {engine.name} on http://{host}:{port}/ (API at /v1"
                  f"{', key required' if api_key else ''})")
    uvicorn.run(app, host=host, port=port, log_level="warning")
    sys.stdout.flush()


def register(app: typer.Typer, data_app: typer.Typer) -> None:
    app.command("chat")(chat)
    app.command("serve")(serve)
