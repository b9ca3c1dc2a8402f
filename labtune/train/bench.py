"""`labtune bench train`: labtune's loop vs TRL's SFTTrainer on the same model, data and settings.

Each trainer runs in its own fresh process (so one's memory never counts against the other) and
reports, for every optimizer step, the time, the real (non-pad) tokens trained so far and the peak
RSS so far (VmHWM). The first step is a warm-up and is left out of tokens/s; peak RSS is taken at the
last training step, before any final save. MFU counts 6 x parameters per token (+ attention), the
usual model-FLOPs convention, against a matmul peak measured with the same thread count in fresh
processes right before and right after each trainer's run (the higher of the two: a shared VM's speed
drifts over minutes, so a peak taken at another time would flatter or sink the ratio). Both trainers
get the same hyperparameters, gradient checkpointing included (off unless asked for: TRL's own default
is on, which would make it slower and leaner than the run it is compared with).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from labtune.errors import LabtuneError
from labtune.train.cpu.allocator import active, preload_environment

SHARED_DUMMY = Path(__file__).resolve().parents[3] / "shared" / "data" / "dummy_conversation.json"


def peak_rss_gb() -> float:
    """The process's peak resident set so far (VmHWM), in GB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1e6
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6


def matmul_peak_gflops(threads: int | None, n: int = 2048, seconds: float = 2.0) -> float:
    """Best fp32 GFLOP/s of an n x n matmul: the ceiling MFU is measured against."""
    import torch

    if threads:
        torch.set_num_threads(threads)
    a, b = torch.randn(n, n), torch.randn(n, n)
    best, start = 0.0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        t = time.perf_counter()
        torch.mm(a, b)
        best = max(best, 2 * n ** 3 / (time.perf_counter() - t) / 1e9)
    return best


def _throughput(steps: list[dict]) -> dict:
    """tokens/s over steps 2..N (step 1 warms up), peak RSS at the last step."""
    first, last = steps[0], steps[-1]
    tokens = last["tokens"] - first["tokens"]
    seconds = last["time"] - first["time"]
    return {"tokens_per_s": tokens / seconds, "tokens": tokens, "seconds": seconds,
            "steps": len(steps) - 1, "peak_rss_gb": last["peak_rss_gb"]}


def _run_labtune(settings: dict, conn) -> None:
    import torch

    from labtune.train.config import TrainConfig
    from labtune.train.loop import train

    if settings["threads"]:
        torch.set_num_threads(settings["threads"])
    steps: list[dict] = []

    def record(row: dict) -> None:
        steps.append({"time": time.perf_counter(), "tokens": row["tokens"], "peak_rss_gb": peak_rss_gb()})

    with tempfile.TemporaryDirectory() as tmp:
        cfg = TrainConfig(model=settings["model"], data=[settings["data_file"]], output_dir=tmp + "/run",
                          model_max_length=settings["max_length"], max_steps=settings["steps"] + 1,
                          per_device_train_batch_size=settings["batch_size"], gradient_accumulation_steps=1,
                          learning_rate=2e-5, warmup_ratio=0.0, save_steps=10 ** 9, quiet=True, seed=0,
                          low_cpu_memory=settings["low_cpu_memory"], fused_ops=settings["fused_ops"],
                          gradient_checkpointing=settings["gradient_checkpointing"])
        train(cfg, on_step=record)
    conn.send({**_throughput(steps), "allocator": active(),
               "gradient_checkpointing": settings["gradient_checkpointing"]})


def _run_trl(settings: dict, conn) -> None:
    import datasets
    import torch
    from transformers import PrinterCallback, TrainerCallback
    from trl import SFTTrainer

    from labtune.model.load import load_model, load_tokenizer
    from labtune.model.resolve import resolve_model

    if settings["threads"]:
        torch.set_num_threads(settings["threads"])
    model_dir = resolve_model(settings["model"])
    records = json.loads(Path(settings["messages_file"]).read_text())
    steps: list[dict] = []

    class Timer(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kw):
            if logs and "num_tokens" in logs:
                steps.append({"time": time.perf_counter(), "tokens": int(logs["num_tokens"]),
                              "peak_rss_gb": peak_rss_gb()})

    with tempfile.TemporaryDirectory() as tmp:
        args = trl_arguments(settings, tmp)
        datasets.disable_progress_bars()
        trainer = SFTTrainer(model=load_model(model_dir), args=args, train_dataset=datasets.Dataset.from_list(records),
                             processing_class=load_tokenizer(model_dir), callbacks=[Timer()])
        trainer.remove_callback(PrinterCallback)  # its per-step dicts would bury the results
        trainer.train()
        recomputed = bool(getattr(trainer.model, "is_gradient_checkpointing", False))
    conn.send({**_throughput(steps), "allocator": active(), "gradient_checkpointing": recomputed})


def trl_arguments(settings: dict, output_dir: str):
    """TRL's SFTConfig for the bench: labtune's hyperparameters, no packing, no saving, fp32 on the CPU."""
    from trl import SFTConfig

    # Gradient checkpointing as on labtune's side. SFTConfig's own default (on since TRL 0.20) would have
    # TRL recompute every activation in backward, trading speed for memory; transformers 5 renamed it.
    name = "activation_checkpointing" if "activation_checkpointing" in SFTConfig.__dataclass_fields__ \
        else "gradient_checkpointing"
    return SFTConfig(output_dir=output_dir, max_length=settings["max_length"], max_steps=settings["steps"] + 1,
                     per_device_train_batch_size=settings["batch_size"], gradient_accumulation_steps=1,
                     learning_rate=2e-5, warmup_steps=0, lr_scheduler_type="cosine", logging_steps=1,
                     save_strategy="no", report_to="none", use_cpu=True, bf16=False, packing=False,
                     dataloader_num_workers=0, seed=0, disable_tqdm=True,
                     **{name: settings["gradient_checkpointing"]})


def _measure_peak(settings: dict, conn) -> None:
    conn.send({"gflops": matmul_peak_gflops(settings["threads"])})


def in_fresh_process(target, settings: dict, environment: dict[str, str] | None = None) -> dict:
    """`target(settings, conn)` in a new interpreter, started with `environment` added to os.environ."""
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe(duplex=False)
    process = context.Process(target=target, args=(settings, child))
    saved = dict(os.environ)
    os.environ.update(environment or {})
    try:
        process.start()  # spawn hands the child the environment as it is now
    finally:
        os.environ.clear()
        os.environ.update(saved)
    child.close()
    try:
        result = parent.recv()
    except EOFError:
        process.join()
        raise LabtuneError(f"benchmark process {target.__name__} failed (exit code {process.exitcode}); "
                           "see the error above") from None
    process.join()
    return result


def model_flops_per_token(model_dir: Path, seq_len: float) -> float:
    """Training FLOPs per token: 6 x matmul parameters + 12 x layers x hidden x sequence (attention)."""
    config = json.loads((Path(model_dir) / "config.json").read_text())
    h, layers, inter, vocab = (config["hidden_size"], config["num_hidden_layers"], config["intermediate_size"],
                               config["vocab_size"])
    kv = h * config.get("num_key_value_heads", config["num_attention_heads"]) // config["num_attention_heads"]
    per_layer = h * h * 2 + h * kv * 2 + 3 * h * inter  # q, o, k, v projections; gate, up, down
    matmul_params = layers * per_layer + vocab * h  # + the vocabulary projection
    return 6 * matmul_params + 12 * layers * h * seq_len


def run_bench(model: str, data: str | None, samples: int, max_length: int, batch_size: int, steps: int,
              with_trl: bool, threads: int | None, output: str | None, low_cpu_memory: bool = False,
              fused_ops: bool = True, gradient_checkpointing: bool = False) -> dict:
    from labtune.data.convert import to_openai, to_sharegpt
    from labtune.data.dataset import load_dataset
    from labtune.data.templates import get_template
    from labtune.data.tokenize import encode_dataset
    from labtune.model.load import load_tokenizer
    from labtune.model.resolve import resolve_model

    # Each trainer as its users get it: labtune's training commands preload tcmalloc where it is
    # installed (allocator.py); TRL runs on the C library's malloc. First, so that a bad LABTUNE_MALLOC
    # is refused before anything loads.
    environments = {"labtune": preload_environment() or {}, "trl": {}}
    console = Console()
    data_path = Path(data) if data else SHARED_DUMMY
    if not data_path.is_file():
        raise LabtuneError(f"{data_path}: benchmark data not found; pass --data FILE")
    model_dir = resolve_model(model)
    convs = load_dataset([str(data_path)], seed=0).train[:samples]
    tokenizer = load_tokenizer(model_dir)
    encoded = encode_dataset(convs, get_template("tokenizer", tokenizer), tokenizer, max_length)
    mean_len = encoded.tokens / max(len(encoded.samples), 1)
    with tempfile.TemporaryDirectory() as tmp:
        # Both trainers read the same conversations: labtune as ShareGPT, TRL as `messages` records.
        data_file, messages_file = Path(tmp) / "data.json", Path(tmp) / "messages.json"
        data_file.write_text(json.dumps([to_sharegpt(c) for c in convs]))
        messages_file.write_text(json.dumps([to_openai(c) for c in convs]))
        settings = {"model": str(model_dir), "data_file": str(data_file), "messages_file": str(messages_file),
                    "max_length": max_length, "batch_size": batch_size, "steps": steps, "threads": threads,
                    "low_cpu_memory": low_cpu_memory, "fused_ops": fused_ops,
                    "gradient_checkpointing": gradient_checkpointing}
        console.print(f"{len(convs)} conversations, mean {mean_len:.0f} tokens; batch {batch_size}, "
                      f"max length {max_length}, {steps} timed steps after 1 warm-up; fp32 full fine-tune; "
                      f"gradient checkpointing {'on' if gradient_checkpointing else 'off'}"
                      + (" in both" if with_trl else ""))
        runners = {"labtune": _run_labtune, **({"trl": _run_trl} if with_trl else {})}
        peaks = [in_fresh_process(_measure_peak, settings)["gflops"]]
        results = {}
        for name, runner in runners.items():
            results[name] = in_fresh_process(runner, settings, environments[name])
            peaks.append(in_fresh_process(_measure_peak, settings)["gflops"])
            results[name]["matmul_peak_gflops"] = max(peaks[-2:])
    flops = model_flops_per_token(model_dir, mean_len)
    for result in results.values():
        result["mfu"] = result["tokens_per_s"] * flops / (result["matmul_peak_gflops"] * 1e9)

    table = Table(title="labtune bench train")
    for column in ("trainer", "tokens/s", "peak RSS (GB)", "MFU", "timed steps", "tokens", "malloc", "recompute"):
        table.add_column(column, justify="right")
    for name, r in results.items():
        table.add_row(name, f"{r['tokens_per_s']:.0f}", f"{r['peak_rss_gb']:.2f}", f"{r['mfu']:.0%}",
                      str(r["steps"]), str(r["tokens"]), r["allocator"], "yes" if r["gradient_checkpointing"] else "no")
    console.print(table)
    summary = {"settings": {k: v for k, v in settings.items() if "file" not in k}, "conversations": len(convs),
               "mean_tokens": mean_len, "matmul_peaks_gflops": peaks, "flops_per_token": flops, "results": results}
    console.print(f"matmul peak {' / '.join(f'{p:.0f}' for p in peaks)} GFLOP/s fp32 (before, between and after the "
                  f"runs; MFU takes the higher one beside each run); model {flops / 1e9:.2f} GFLOP per trained token")
    if "trl" in results:
        speed = results["labtune"]["tokens_per_s"] / results["trl"]["tokens_per_s"]
        memory = results["labtune"]["peak_rss_gb"] / results["trl"]["peak_rss_gb"]
        summary["ratios"] = {"tokens_per_s": speed, "peak_rss": memory}
        console.print(f"labtune / TRL: {speed:.2f}x tokens/s, {memory:.2f}x peak RSS")
    if output:
        Path(output).write_text(json.dumps(summary, indent=1))
    return summary
