"""What `serve --dtype bfloat16` and `--dtype int8` cost and buy on a CPU: the same questions answered by
the torch engine with float32, bfloat16 and int8 weights (a scale per row, `labtune.model.int8`).

For a run (or a model) it answers the sample questions greedily with each type through the serving
engine, then prints per type: accuracy, the share of answers identical to float32's, and decode
tokens/s (tokens after the first, over the time they took). A decode step reads every weight once,
so on a CPU its speed follows the bytes; bfloat16 matmuls are only fast where the CPU has them
(AVX512-BF16 or AMX): the script prints which flags this CPU has.

    python benchmarks/serve_dtype.py --run runs/demo
    python benchmarks/serve_dtype.py --run runs/lab --questions my/questions.jsonl --out dtype.json
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path


def cpu_flags() -> list[str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return []
    flags = next((line.split(":", 1)[1].split() for line in text.splitlines() if line.startswith("flags")), [])
    return sorted(f for f in flags if f in {"avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile"})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", default="smollm2-135m", help="run or model (default: the default model)")
    parser.add_argument("--questions", type=Path, help="default: the sample questions")
    parser.add_argument("--max-new-tokens", type=int, default=48)
    parser.add_argument("--threads", type=int)
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    args = parser.parse_args()

    import torch

    from labtune.data.conversation import Message
    from labtune.eval.evaluate import accuracy, score_answers
    from labtune.eval.questions import load_questions
    from labtune.export.check import decode_tokens_per_second, same_answers
    from labtune.model.int8 import load_int8
    from labtune.model.load import load
    from labtune.samples import LABNOTES_QUESTIONS
    from labtune.serve.generate import Engine, Sampling

    if args.threads:
        torch.set_num_threads(args.threads)
    questions = load_questions(args.questions or LABNOTES_QUESTIONS)
    greedy = Sampling(temperature=0.0, max_new_tokens=args.max_new_tokens)
    results: dict = {"run": args.run, "date": time.strftime("%Y-%m-%d %H:%M"), "cpu_flags": cpu_flags(),
                     "threads": torch.get_num_threads(), "questions": len(questions)}
    texts: dict[str, list[str]] = {}
    for dtype in ("float32", "bfloat16", "int8"):
        engine = Engine(load_int8(args.run) if dtype == "int8" else load(args.run, dtype=getattr(torch, dtype)))
        engine.chat([Message("user", "Hello")], Sampling(temperature=0.0, max_new_tokens=4)).run()  # warm-up
        answers = [engine.chat(q.prompt, greedy).run() for q in questions]
        texts[dtype] = [a.text for a in answers]
        scored = score_answers(questions, texts[dtype], "contains")
        results[dtype] = {"accuracy": round(accuracy(scored)["overall"], 3),
                          "same_answers_as_float32": round(same_answers(texts["float32"], texts[dtype]), 3),
                          "decode_tok_s": round(decode_tokens_per_second(answers), 2)}
        print(dtype, results[dtype], flush=True)
        del engine
    for dtype in ("bfloat16", "int8"):
        results[f"{dtype}_speedup"] = round(results[dtype]["decode_tok_s"] / results["float32"]["decode_tok_s"], 2)
    print(json.dumps(results, indent=1))
    if args.out:
        args.out.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
