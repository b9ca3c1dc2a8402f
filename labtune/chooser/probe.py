"""Measured estimates: a few real training steps through labtune's own training loop (full, LoRA, and
QLoRA where CUDA and bitsandbytes are there) and a short greedy generation, each in a fresh process so
its peak memory is its own. Results are cached under $LABTUNE_HOME, keyed by the weights, the machine
and the settings, so `labtune models` measures a model once.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import statistics
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from labtune.chooser.estimate import Estimate
from labtune.errors import LabtuneError
from labtune.model.resolve import labtune_home

WORDS = ("lab meeting sample core sediment lake data plan team week result method field season station "
         "water depth record note question answer presenter recorder topic instrument analysis figure draft "
         "paper review budget schedule protocol report summary week month year season site trip").split()


@dataclass(frozen=True)
class ProbeSettings:
    batch: int = 4  # labtune train's default per_device_train_batch_size
    words: int = 100  # per conversation: ~130 tokens with SmolLM2's tokenizer
    warmup_steps: int = 1
    timed_steps: int = 3
    new_tokens: int = 48  # inference: tokens generated after a 4-token warm-up


class _Enough(Exception):
    """Raised from the step callback once the timed steps are in: the run stops and saves nothing."""


def write_probe_data(path: Path, settings: ProbeSettings) -> None:
    """ShareGPT conversations of random lab words, enough for every step, all about the same length."""
    rng = random.Random(0)
    count = settings.batch * (settings.warmup_steps + settings.timed_steps)

    def text(n: int) -> str:
        return " ".join(rng.choice(WORDS) for _ in range(n))

    records = [{"conversations": [{"from": "human", "value": text(settings.words // 4)},
                                  {"from": "gpt", "value": text(settings.words - settings.words // 4)}]}
               for _ in range(count)]
    path.write_text(json.dumps(records), encoding="utf-8")


def _peak_gb(device: str) -> float:
    if device == "cuda":
        import torch

        return torch.cuda.max_memory_reserved() / 1e9
    from labtune.train.bench import peak_rss_gb

    return peak_rss_gb()


def _quiet() -> None:
    """A probe's own progress lines would bury the table: send the child's output to /dev/null."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)


def probe_training(job: dict, conn) -> None:
    """In a fresh process: `warmup + timed` optimizer steps of labtune.train.loop.train; sends the median
    timed step's seconds per 1k tokens and the peak memory at the last step.

    job: model_dir, mode (full | lora | qlora), settings (ProbeSettings); optionally data (a training file
    instead of the probe's conversations) and config (more TrainConfig fields), which benchmarks/model_estimate.py
    uses to time a run as `labtune train` makes it.
    """
    _quiet()
    try:
        import torch

        from labtune.train.config import TrainConfig
        from labtune.train.loop import train

        settings = ProbeSettings(**job["settings"])
        device = "cuda" if torch.cuda.is_available() else "cpu"
        steps: list[tuple[float, int, float]] = []
        total = settings.warmup_steps + settings.timed_steps

        def on_step(row: dict) -> None:
            steps.append((time.perf_counter(), row["tokens"], _peak_gb(device)))
            if len(steps) == total:
                raise _Enough

        with tempfile.TemporaryDirectory() as tmp:
            data = job.get("data")
            if data is None:
                data = str(Path(tmp) / "probe.json")
                write_probe_data(Path(data), settings)
            fields = dict(model=job["model_dir"], data=[data], output_dir=f"{tmp}/run",
                          per_device_train_batch_size=settings.batch, gradient_accumulation_steps=1, max_steps=total,
                          warmup_ratio=0.0, save_steps=10 ** 9, quiet=True, seed=0, lora=job["mode"] == "lora",
                          q_lora=job["mode"] == "qlora")
            try:
                train(TrainConfig(**(fields | job.get("config", {}))), on_step=on_step)
            except _Enough:
                pass
        timed = steps[settings.warmup_steps - 1:]
        # The median step, not the total: on a shared machine one step slowed by a neighbour's burst
        # would otherwise move the figure by tens of percent.
        per_token = [(t1 - t0) / max(n1 - n0, 1) for (t0, n0, _), (t1, n1, _) in zip(timed, timed[1:])]
        conn.send({"seconds_per_1k_tokens": 1000 * statistics.median(per_token), "memory_gb": steps[-1][2],
                   "tokens_per_step": (timed[-1][1] - timed[0][1]) / settings.timed_steps})
    except BaseException as exc:  # reported by the parent as the probe's failure, with its reason
        conn.send({"error": f"{type(exc).__name__}: {exc}"})


def probe_inference(job: dict, conn) -> None:
    """In a fresh process: load through the one loader, then greedy decoding of `new_tokens` tokens."""
    _quiet()
    try:
        import torch
        from transformers import GenerationConfig

        from labtune.model.load import load

        settings = ProbeSettings(**job["settings"])
        device = "cuda" if torch.cuda.is_available() else "cpu"
        loaded = load(job["model_dir"], dtype=torch.bfloat16 if device == "cuda" else torch.float32, device=device)
        prompt = loaded.tokenizer(" ".join(WORDS[:24]), return_tensors="pt").input_ids.to(device)

        def decode(n: int) -> float:
            config = GenerationConfig(max_new_tokens=n, min_new_tokens=n, do_sample=False,
                                      pad_token_id=loaded.tokenizer.pad_token_id)
            start = time.perf_counter()
            with torch.inference_mode():
                loaded.model.generate(input_ids=prompt, attention_mask=torch.ones_like(prompt), generation_config=config)
            if device == "cuda":
                torch.cuda.synchronize()
            return time.perf_counter() - start

        decode(4)  # warm-up
        seconds = decode(settings.new_tokens)
        conn.send({"seconds_per_1k_tokens": 1000 * seconds / settings.new_tokens, "memory_gb": _peak_gb(device)})
    except BaseException as exc:
        conn.send({"error": f"{type(exc).__name__}: {exc}"})


def _cache_path() -> Path:
    return labtune_home() / "probes.json"


def cache_key(model_dir: Path, mode: str, machine: str, settings: ProbeSettings) -> str:
    import torch

    files = sorted(p for p in Path(model_dir).iterdir() if p.is_file())
    weights = [(p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in files]
    text = json.dumps([str(Path(model_dir).resolve()), weights, mode, machine, torch.__version__,
                       torch.get_num_threads(), asdict(settings)])
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def measure(model_dir: Path, mode: str, machine: str, settings: ProbeSettings = ProbeSettings(),
            refresh: bool = False) -> Estimate:
    """A measured estimate for one mode (full | lora | qlora | inference), from the cache when there."""
    from labtune.train.bench import in_fresh_process

    key = cache_key(model_dir, mode, machine, settings)
    cache_file = _cache_path()
    try:
        cache = json.loads(cache_file.read_text()) if cache_file.is_file() else {}
    except (json.JSONDecodeError, OSError):
        cache = {}  # a damaged cache is only a cache: measure again
    result = None if refresh else cache.get(key)
    if result is None:
        job = {"model_dir": str(model_dir), "mode": mode, "settings": asdict(settings)}
        result = in_fresh_process(probe_inference if mode == "inference" else probe_training, job)
        if "error" in result:
            raise LabtuneError(f"{model_dir}: the {mode} probe failed ({result['error']})")
        result["measured_at"] = time.strftime("%Y-%m-%d %H:%M")
        cache[key] = result
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache_file.with_name(f".{cache_file.name}.tmp{os.getpid()}")
        tmp.write_text(json.dumps(cache, indent=1))
        os.replace(tmp, cache_file)
    if mode == "inference":
        note = f"greedy, batch 1, {settings.new_tokens} new tokens"
    else:
        note = f"batch {settings.batch}, ~{result['tokens_per_step'] / settings.batch:.0f} tokens per sample"
    return Estimate(mode, result["memory_gb"], result["seconds_per_1k_tokens"], "measured",
                    f"{note}; {result['measured_at']}")
