"""Does the exported GGUF answer like the run? And how fast does llama.cpp run it next to labtune?

Trains a small LoRA run on the default model (or takes --run), exports it at every precision and
measures, against the run itself:
- logits on a fixed prompt, the GGUF read by transformers' own GGUF loader (f32: max abs diff; others:
  cosine);
- greedy answers to the sample questions (labtune/samples/labnotes-questions.jsonl), the GGUF loaded
  by labtune as `labtune eval` loads it: the share of answers identical to the run's;
- with llama-cpp-python installed: the GGUF run by llama.cpp (`serve --engine llama.cpp`'s engine),
  its answers to the same questions and its decode tokens/s next to labtune's torch engine's.

    python benchmarks/export_gguf.py                      # ~10 min on a 2-core CPU
    python benchmarks/export_gguf.py --run runs/lab --out results.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

QUANTS = ("f32", "f16", "q8_0", "q4_0")
LAB_QUESTION = "Who is the presenter of the 4/14/2023 lab meeting?"


def quick_run(folder: Path, steps_epochs: float) -> Path:
    """A LoRA run on the default model, trained on the sample questions and their answers."""
    from labtune.samples import LABNOTES_QUESTIONS
    from labtune.train.config import TrainConfig
    from labtune.train.loop import train

    records = [json.loads(line) for line in LABNOTES_QUESTIONS.read_text().splitlines() if line.strip()]
    chats = [{"id": f"q{i}", "conversations": [{"from": "human", "value": r["question"]},
                                                {"from": "gpt", "value": r["answers"][0] + "."}]}
             for i, r in enumerate(records)]
    data = folder / "chats.json"
    data.write_text(json.dumps(chats))
    out = folder / "run"
    train(TrainConfig(model="smollm2-135m", data=[str(data)], output_dir=str(out), lora=True,
                      per_device_train_batch_size=4, gradient_accumulation_steps=1, num_train_epochs=steps_epochs,
                      learning_rate=2e-3, save_steps=10000, quiet=True, seed=0))
    return out


def separate_home(folder: Path) -> None:
    """GGUF conversions go to a temporary LABTUNE_HOME; the default model's conversion is shared."""
    from labtune.model.resolve import labtune_home, resolve_model

    real = resolve_model("smollm2-135m")
    home = folder / "home"
    (home / "models").mkdir(parents=True)
    (home / "models" / real.name).symlink_to(real)
    os.environ["LABTUNE_HOME"] = str(home)
    assert labtune_home() == home


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", help="run to export (default: train a quick LoRA run on the default model)")
    parser.add_argument("--epochs", type=float, default=1.0, help="epochs of the quick run")
    parser.add_argument("--max-new-tokens", type=int, default=48)
    parser.add_argument("--threads", type=int, default=None, help="CPU threads for both engines")
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    args = parser.parse_args()

    import torch
    from transformers import AutoModelForCausalLM

    from labtune.data.conversation import Message
    from labtune.eval.answer import generate_answers
    from labtune.export.check import compare_logits, decode_tokens_per_second, same_answers
    from labtune.export.gguf_writer import export_gguf
    from labtune.export.source import load_source
    from labtune.model.load import load
    from labtune.samples import LABNOTES_QUESTIONS
    from labtune.serve.generate import Engine, Sampling

    if args.threads:
        torch.set_num_threads(args.threads)
    folder = Path(tempfile.mkdtemp(prefix="export-bench-"))
    t0 = time.perf_counter()
    run = Path(args.run) if args.run else quick_run(folder, args.epochs)
    results: dict = {"run": str(run), "train_s": None if args.run else round(time.perf_counter() - t0, 1)}
    separate_home(folder)
    source = load_source(str(run))
    questions = [json.loads(line)["question"] for line in LABNOTES_QUESTIONS.read_text().splitlines() if line]
    prompts = [[Message("user", q)] for q in questions]
    loaded_run = load(str(run))
    run_answers = generate_answers(loaded_run, prompts, args.max_new_tokens)
    ids = loaded_run.tokenizer(loaded_run.template.prompt(prompts[0]), return_tensors="pt")["input_ids"]

    for quant in QUANTS:
        row: dict = {}
        start = time.perf_counter()
        path = export_gguf(source, folder / f"run-{quant}.gguf", quant)
        row["export_s"] = round(time.perf_counter() - start, 1)
        row["size_mib"] = round(path.stat().st_size / 2**20, 1)
        hf_gguf = AutoModelForCausalLM.from_pretrained(folder, gguf_file=path.name, dtype=torch.float32)
        match = compare_logits(loaded_run.model, hf_gguf, ids)
        row["logits_max_abs_diff"], row["logits_cosine"] = round(match.max_abs_diff, 6), round(match.cosine, 6)
        del hf_gguf
        answers = generate_answers(load(str(path)), prompts, args.max_new_tokens)
        row["same_answers"] = round(same_answers(run_answers, answers), 3)
        results[quant] = row
        print(quant, row, flush=True)

    try:
        import llama_cpp  # noqa: F401
    except ImportError:
        results["llama_cpp"] = "not installed"
    else:
        from labtune.serve.llamacpp_engine import load_engine

        greedy = Sampling(temperature=0.0, max_new_tokens=args.max_new_tokens)
        torch_engine = Engine(loaded_run)
        ours = [torch_engine.chat(p, greedy).run() for p in prompts]
        results["torch_engine_decode_tok_s"] = round(decode_tokens_per_second(ours), 1)
        results["lab_question"] = {"run": ours[questions.index(LAB_QUESTION)].text if LAB_QUESTION in questions
                                   else torch_engine.chat([Message("user", LAB_QUESTION)], greedy).run().text}
        for quant in ("f16", "q8_0"):
            engine = load_engine(str(folder / f"run-{quant}.gguf"), threads=args.threads)
            theirs = [engine.chat(p, greedy).run() for p in prompts]
            results[f"llama_cpp_{quant}"] = {
                "decode_tok_s": round(decode_tokens_per_second(theirs), 1),
                "same_answers_as_torch_engine": round(same_answers([g.text for g in ours], [g.text for g in theirs]), 3),
                "lab_question": engine.chat([Message("user", LAB_QUESTION)], greedy).run().text}
            print(f"llama.cpp {quant}", results[f"llama_cpp_{quant}"], flush=True)
    results["total_s"] = round(time.perf_counter() - t0, 1)
    print(json.dumps(results, indent=1))
    if args.out:
        args.out.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    sys.exit(main())
