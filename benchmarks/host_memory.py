"""Host memory in CPU training: heap policy, heap trimming in the step, tied gradient, lean ops.

Each setting runs `labtune.train.loop.train` in its own fresh process (`labtune bench train`'s labtune
side: same data, batch and steps) with a `MemoryPlan` of its own (labtune/train/cpu/prepare.py), the
way `labtune train` runs its config's plan. Prints tokens/s over the timed steps, peak RSS (VmHWM),
minor page faults and system CPU seconds.

    python benchmarks/host_memory.py --steps 8 --rounds 2
"""

from __future__ import annotations

import argparse
import functools
import json
import resource
import tempfile
import time
from pathlib import Path

from labtune.train.bench import in_fresh_process
from labtune.train.cpu.allocator import preload_environment
from labtune.train.cpu.host_memory import TRIM_BACKWARD_AT, TRIM_FORWARD_AT
from labtune.train.cpu.prepare import MemoryPlan

LOW = MemoryPlan(heap="low", trim_forward=TRIM_FORWARD_AT, trim_backward=TRIM_BACKWARD_AT, keep_head_gradient=False)
SETTINGS = {
    "default": MemoryPlan(),
    "low_cpu_memory": LOW,
    "low_cpu_memory, heap top kept": MemoryPlan(heap="keep", trim_forward=TRIM_FORWARD_AT,
                                                trim_backward=TRIM_BACKWARD_AT, keep_head_gradient=False),
    "trim in backward only": MemoryPlan(heap="low", trim_backward=TRIM_BACKWARD_AT, keep_head_gradient=False),
    "trim after forward only": MemoryPlan(heap="low", trim_forward=(1.0,), trim_backward=TRIM_BACKWARD_AT,
                                          keep_head_gradient=False),
    "tied gradient by autograd": MemoryPlan(tied_gradient_in_place=False),
    "no lean ops": MemoryPlan(fused_ops=False),
    "malloc's own settings": MemoryPlan(heap="system"),
    "release late in backward": MemoryPlan(trim_backward=(0.15,)),
}
# Settings run on tcmalloc (preloaded, as `labtune train` does where it is installed); the rest on glibc.
TCMALLOC = {
    "tcmalloc": "default",
    "tcmalloc, low_cpu_memory": "low_cpu_memory",
    "tcmalloc, release late in backward": "release late in backward",
}


def _train(name: str, settings: dict, conn) -> None:
    import torch

    from labtune.train.bench import peak_rss_gb
    from labtune.train.config import TrainConfig
    from labtune.train.cpu import allocator
    from labtune.train.loop import train

    plan = SETTINGS[TCMALLOC.get(name, name)]
    torch.set_num_threads(settings["threads"])
    steps: list[tuple[float, int]] = []
    usage = []

    def record(row: dict) -> None:
        steps.append((time.perf_counter(), row["tokens"]))
        usage.append(resource.getrusage(resource.RUSAGE_SELF))

    with tempfile.TemporaryDirectory() as tmp:
        cfg = TrainConfig(model=settings["model"], data=[settings["data"]], output_dir=tmp + "/run",
                          model_max_length=512, max_steps=settings["steps"] + 1,
                          per_device_train_batch_size=settings["batch"], learning_rate=2e-5, warmup_ratio=0.0,
                          save_steps=10 ** 9, quiet=True, seed=0)
        train(cfg, on_step=record, memory=plan)
    (t0, n0), (t1, n1) = steps[0], steps[-1]
    conn.send({"allocator": allocator.active(), "tokens_per_s": (n1 - n0) / (t1 - t0), "peak_rss_gb": peak_rss_gb(),
               "minor_faults_per_step": (usage[-1].ru_minflt - usage[0].ru_minflt) / (len(steps) - 1),
               "sys_s_per_step": (usage[-1].ru_stime - usage[0].ru_stime) / (len(steps) - 1)})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="../shared/data/dummy_conversation.json")
    parser.add_argument("--samples", type=int, default=64,
                        help="train on the first N conversations, as `labtune bench train` does (0: all)")
    parser.add_argument("--model", default="smollm2-135m")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=1, help="run every setting this many times, interleaved")
    parser.add_argument("--only", nargs="*", help="names of the settings to run (default: all)")
    args = parser.parse_args()
    settings = vars(args)
    workdir = tempfile.TemporaryDirectory()
    if args.samples:
        settings["data"] = _first_conversations(args.data, args.samples, Path(workdir.name) / "data.json")
    names = args.only or [*SETTINGS, *TCMALLOC]
    tcmalloc_env = preload_environment({}) or {}
    if not tcmalloc_env:
        print("tcmalloc not found: its settings are skipped")
        names = [name for name in names if name not in TCMALLOC]
    results: dict[str, list[dict]] = {name: [] for name in names}
    for _ in range(args.rounds):
        for name in names:
            environment = tcmalloc_env if name in TCMALLOC else {}
            results[name].append(in_fresh_process(functools.partial(_train, name), settings, environment))
            print(name, json.dumps(results[name][-1]), flush=True)
    print(f"\n{'setting':<24} {'tokens/s (best)':>15} {'peak RSS GB (all)':>18} {'faults/step':>12} {'sys s/step':>11}")
    for name, runs in results.items():
        best = max(runs, key=lambda r: r["tokens_per_s"])
        peaks = sorted(r["peak_rss_gb"] for r in runs)
        print(f"{name:<24} {best['tokens_per_s']:>15.1f} {peaks[0]:>12.2f}-{peaks[-1]:.2f} "
              f"{best['minor_faults_per_step']:>12.0f} {best['sys_s_per_step']:>11.2f}")
    workdir.cleanup()


def _first_conversations(data: str, n: int, out: Path) -> str:
    """The bench's data: the first n conversations (seed 0), written back as ShareGPT."""
    from labtune.data.convert import to_sharegpt
    from labtune.data.dataset import load_dataset

    out.write_text(json.dumps([to_sharegpt(c) for c in load_dataset([data], seed=0).train[:n]]))
    return str(out)


if __name__ == "__main__":
    main()
