"""Host memory in CPU training: glibc malloc settings, heap trimming in the step, tied gradient, lean ops.

Each setting runs `labtune.train.loop.train` in its own fresh process (`labtune bench train`'s labtune
side: same data, batch and steps) with `configure_host_memory`, `trim_during_step`, the
tied-embedding gradient and `fused.LEAN_FROM_TOKENS` replaced by the setting under test. Prints
tokens/s over the timed steps, peak RSS (VmHWM), minor page faults and system CPU seconds.

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

from labtune.train.allocator import preload_environment
from labtune.train.bench import in_fresh_process

# (M_MMAP_THRESHOLD, M_TRIM_THRESHOLD): the heap kept whole, its top given back at every free, session 2's
KEEP, TOP, LOW = (32 * 1024 * 1024, 2 ** 31 - 1), (32 * 1024 * 1024, 0), (256 * 1024, 256 * 1024)
# name -> (malloc setting or None for glibc's own, trim_during_step's (forward, backward) fractions of the
#          depth (True: the defaults), tied-embedding gradient, fused.LEAN_FROM_TOKENS or None for the default)
SETTINGS = {
    "default": (KEEP, False, "in place", None),
    "low_cpu_memory": (TOP, True, "in place", None),
    "low_cpu_memory, heap top kept": (KEEP, True, "in place", None),
    "trim in backward only": (TOP, ((), (0.07, 1 / 3, 2 / 3)), "in place", None),
    "trim after forward only": (TOP, ((1.0,), (0.07, 1 / 3, 2 / 3)), "in place", None),
    "lean from 1024 tokens": (KEEP, False, "in place", 1024),
    "session 4": (KEEP, False, "sparse", 1024),
    "glibc's own": (None, False, "in place", None),
    "heap top trimmed": (TOP, False, "in place", None),  # sessions 4-6's default, by mistake
    "mmap 256K": (LOW, False, "in place", None),  # session 2's --low_cpu_memory
}
# Settings run on tcmalloc (preloaded, as `labtune train` does where it is installed); the rest on glibc.
TCMALLOC = {
    "tcmalloc": "default",
    "tcmalloc, low_cpu_memory": "low_cpu_memory",
    "tcmalloc, release late in backward": "release late in backward",
}
SETTINGS["release late in backward"] = (KEEP, ((), (0.15,)), "in place", None)


def _sparse_tied_gradient(model) -> bool:
    """The earlier way: sparse rows that autograd adds to the dense output-side gradient out of place."""
    embedding = model.get_input_embeddings()
    if embedding.weight is not model.get_output_embeddings().weight:
        return False
    embedding.sparse = True
    return True


def _train(name: str, settings: dict, conn) -> None:
    import torch

    import labtune.train.loop as loop
    from labtune.train import allocator, fused, host_memory
    from labtune.train.bench import peak_rss_gb
    from labtune.train.config import TrainConfig

    malloc, trim, tied, lean_from = SETTINGS[TCMALLOC.get(name, name)]
    if lean_from is not None:
        fused.LEAN_FROM_TOKENS = lean_from
    if name not in TCMALLOC:  # tcmalloc's settings keep the real configure_host_memory
        loop.configure_host_memory = lambda low_memory=False: malloc is not None and host_memory.set_malloc(*malloc)
    if trim not in (False, True):
        loop.trim_during_step = lambda model: host_memory.trim_during_step(model, *trim)
    if tied == "sparse":
        loop.tied_embedding_gradient_in_place = _sparse_tied_gradient
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
                          save_steps=10 ** 9, quiet=True, seed=0, low_cpu_memory=trim is not False)
        loop.train(cfg, on_step=record)
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
