"""`labtune chat` and `labtune serve`: parse flags, load through the one loader, hand over."""

from __future__ import annotations

import os
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from labtune.errors import LabtuneError
from labtune.model.bfloat16 import native_bfloat16
from labtune.textfile import read_text

API_KEY_VAR = "LABTUNE_API_KEY"


NotesOption = Annotated[Optional[Path], typer.Option(
    help="Answer open-book from these notes: a folder of notes or an index (`labtune index`). "
         "Default: the run's own index.")]
ClosedBookOption = Annotated[bool, typer.Option("--closed-book", help="Answer from the weights alone, "
                                                "even when the run has a notes index.")]
OpenBookOption = Annotated[bool, typer.Option("--open-book", help="Answer with the run's notes index even "
                                              "where `labtune learn` measured the run answering better without it.")]
NotesKOption = Annotated[int, typer.Option("--notes-k", min=1, help="Most note chunks put before a question.")]


def book_line(run_or_model: str, index) -> str | None:
    """Where answers come from when the run has notes: its index, or its weights by measurement."""
    from labtune.model.run_dir import RunDir

    if index is not None:
        return f"open book: {len(index.notes)} meetings from {index.path or index.notes_dir}"
    run = RunDir.find(run_or_model)
    measured = run.answering if run is not None and run.has_index else {}
    if measured.get("mode") != "closed-book":
        return None
    return (f"closed book: this run answered {measured['closed_book']:.0%} of {measured['questions']} held-out "
            f"questions from its weights and {measured['open_book']:.0%} with its notes (--open-book to use them)")


class EngineKind(str, Enum):
    torch = "torch"
    llama_cpp = "llama.cpp"


class Dtype(str, Enum):
    auto = "auto"
    float32 = "float32"
    bfloat16 = "bfloat16"
    float16 = "float16"
    int8 = "int8"


# A decode step reads every weight once, so on a CPU it runs at the speed of memory: bfloat16 halves
# the bytes (1.5-1.6x the tokens/s on an AVX512-BF16 CPU, with the same answers to the sample questions
# as float32: docs/benchmarks.md). Like vLLM's CPU backend, `auto` takes bfloat16 where the CPU
# multiplies it natively; elsewhere it would be emulated, so float32 stays.
DtypeOption = Annotated[Dtype, typer.Option(help="Weights' type for the torch engine. auto: bfloat16 on CUDA "
                                            "and on CPUs with AVX512-BF16 or AMX, float32 elsewhere. int8: "
                                            "int8 weights with a scale per row (such a CPU only; faster, "
                                            "answers may differ: docs/serve.md). "
                                            "`labtune eval` scores in float32; near-ties may answer differently.")]


class Style(str, Enum):
    rich = "rich"
    simple = "simple"


def _engine(name: str, template: str | None, device: str | None, threads: int | None = None,
            dtype: Dtype = Dtype.auto):
    """Load a run or model for inference, refusing pickle weights (only safetensors are read)."""
    import torch

    if threads:
        torch.set_num_threads(threads)
    from labtune.model.load import load
    from labtune.serve.generate import Engine
    from labtune.serve.safety import check_safetensors_only

    check_safetensors_only(name)
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    if dtype is Dtype.auto:
        dtype = Dtype.bfloat16 if device.startswith("cuda") or native_bfloat16() else Dtype.float32
    if dtype is Dtype.int8:
        from labtune.model import int8

        if device != "cpu" or not native_bfloat16() or not int8.available():
            raise LabtuneError("--dtype int8 is for CPUs that multiply bfloat16 natively (AVX512-BF16 or AMX); "
                               "this machine takes --dtype auto")
        return Engine(int8.load_int8(name, device=device, template=template))
    return Engine(load(name, dtype=getattr(torch, dtype.value), device=device, template=template))


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
    dtype: DtypeOption = Dtype.auto,
    debug: Annotated[bool, typer.Option(help="Show token counts and tokens/s after each answer.")] = False,
    threads: Annotated[Optional[int], typer.Option(min=1, help="CPU threads for torch (default: all cores; "
                                                   "1 is faster when the CPU is shared).")] = None,
    notes: NotesOption = None,
    closed_book: ClosedBookOption = False,
    open_book: OpenBookOption = False,
    notes_k: NotesKOption = 3,
) -> None:
    """Chat with a run or a model in the terminal (streaming, multi-turn, !! commands).

    A run with a notes index answers open-book (the notes retrieved for each question go into the
    prompt, and a dim line names them), unless `labtune learn` measured it answering its held-out
    questions better from its weights alone: then it answers closed-book and says so (--open-book).
    """
    from rich.console import Console

    from labtune.retrieval import index_for
    from labtune.serve.chat import ChatSession, answer_prompts, repl
    from labtune.serve.generate import Sampling

    prompts = None
    if prompt_file is not None:
        prompts = read_text(prompt_file).splitlines()
    elif prompt is not None:
        prompts = [prompt]
    console = Console(highlight=False)
    # Markdown re-flows text; a script reading our output gets the plain stream instead.
    if prompts is not None and not console.is_terminal:
        style = Style.simple
    sampling = Sampling(temperature=temperature, top_p=top_p, max_new_tokens=max_new_tokens,
                        repetition_penalty=repetition_penalty, seed=seed)
    index = index_for(run_or_model, notes, closed_book, open_book)  # before the model loads: a bad index fails fast
    engine = _engine(run_or_model, template, device, threads, dtype)
    session = ChatSession(engine, sampling, console, system, style.value, debug, index, notes_k)
    line = book_line(run_or_model, index)
    if line:
        console.print(f"[dim]{line}[/]")
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
    api_key: Annotated[Optional[str], typer.Option(envvar=API_KEY_VAR, show_envvar=True,
                                                   help="Require `Authorization: Bearer KEY` on /v1.")] = None,
    max_tokens: Annotated[int, typer.Option(min=1, help="Cap on max_tokens per request.")] = 1024,
    max_prompt_tokens: Annotated[Optional[int], typer.Option(min=1, help="Cap on prompt tokens "
                                                             "(default: the model's context).")] = None,
    max_batch: Annotated[int, typer.Option(min=1, help="Answers generated together in one batch.")] = 8,
    max_waiting: Annotated[int, typer.Option(min=0, help="Requests that may wait for room in the batch; "
                                             "more get 429.")] = 8,
    max_body_bytes: Annotated[int, typer.Option(min=1024)] = 1 << 20,
    body_timeout: Annotated[float, typer.Option(min=0.1, help="Seconds a request body may take to arrive.")] = 10.0,
    allow_host: Annotated[Optional[list[str]], typer.Option(help="A host name clients may use besides local "
                                                            "ones (repeatable). Bound elsewhere than loopback, any "
                                                            "name passes unless this is given.")] = None,
    model_name: Annotated[Optional[str], typer.Option(help="Model id shown by /v1/models "
                                                      "(default: the run's name).")] = None,
    template: Annotated[Optional[str], typer.Option(help="Template for a plain model (runs use their own).")] = None,
    device: Annotated[Optional[str], typer.Option(help="cpu, cuda, cuda:1 ... (default: cuda if present).")] = None,
    dtype: DtypeOption = Dtype.auto,
    threads: Annotated[Optional[int], typer.Option(min=1, help="CPU threads for torch (default: all cores; "
                                                   "1 is faster when the CPU is shared).")] = None,
    notes: NotesOption = None,
    closed_book: ClosedBookOption = False,
    open_book: OpenBookOption = False,
    notes_k: NotesKOption = 3,
    engine_kind: Annotated[EngineKind, typer.Option("--engine", help="torch, or llama.cpp to run a .gguf with "
                                                    "llama-cpp-python (pip install 'labtune[llamacpp]').")]
    = EngineKind.torch,
) -> None:
    """Serve an OpenAI-compatible API and a web chat page (http://HOST:PORT/).

    A run with a notes index answers chat requests open-book (as `labtune chat` decides it); each answer
    names the notes it used in an extra `labtune.notes` field (standard clients ignore it; the web page
    shows it).
    """
    import logging

    import uvicorn
    from rich.console import Console

    from labtune.retrieval import index_for
    from labtune.serve.api import Limits, create_app
    from labtune.serve.http import LOOPBACK_BINDS, host_allow_list

    if api_key is None and os.environ.get(API_KEY_VAR) is not None:
        api_key = os.environ[API_KEY_VAR]  # click reads an empty variable as unset
    if api_key is not None and not api_key.strip():
        raise LabtuneError(f"the API key is empty (--api-key or {API_KEY_VAR}): give a key, or unset it to "
                           "serve without one")
    console = Console(stderr=True, highlight=False)
    if host not in LOOPBACK_BINDS and not api_key:
        console.print(f"[yellow]warning:[/] binding {host} without --api-key: anyone who can reach this "
                      "port can use the model")
    index = index_for(run_or_model, notes, closed_book, open_book)  # before the model loads: a bad index fails fast
    if engine_kind is EngineKind.llama_cpp:
        from labtune.serve.llamacpp_engine import load_engine

        engine = load_engine(run_or_model, template, threads)
    else:
        import torch

        # The model runs in the batching thread, with the threads asked for (default: torch's, one per
        # core). The main thread keeps one: once it has run torch with a team of OpenMP threads, a
        # second thread's operations decoded 35-40% slower on a 2-core CPU (benchmarks/serve_load.py).
        decode_threads = threads or torch.get_num_threads()
        engine = _engine(run_or_model, template, device, 1, dtype)
        engine.threads = decode_threads
    limits = Limits(max_body_bytes=max_body_bytes, body_seconds=body_timeout, max_prompt_tokens=max_prompt_tokens,
                    max_tokens=max_tokens, max_batch=max_batch, max_waiting=max_waiting)
    line = book_line(run_or_model, index)
    if line:
        console.print(line)
    hosts = host_allow_list(host, allow_host)
    app = create_app(engine, api_key=api_key.strip() if api_key else None, limits=limits, model_name=model_name,
                     allowed_hosts=hosts, index=index, notes_k=notes_k)
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.WARNING)
    console.print(f"serving {model_name or engine.model_id} on http://{host}:{port}/ (API at /v1"
                  f"{', key required' if api_key else ''}"
                  + (f"; open book: {len(index.notes)} meetings" if index is not None else "") + ")")
    uvicorn.run(app, host=host, port=port, log_level="warning")
    sys.stdout.flush()


def register(app: typer.Typer, data_app: typer.Typer) -> None:
    app.command("chat")(chat)
    app.command("serve")(serve)
