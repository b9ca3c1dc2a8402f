"""Retrieval benchmark: index build and update time, hit@1/hit@3, and open-book answer latency.

1. A folder of N generated meetings (default 1,000; every tenth one long enough to be split) is
   indexed from scratch, then updated after ten notes change. Target: under 1 s per 100 notes.
2. Questions about generated meetings, their dates spelled four ways: hit@1 and hit@3 of search.
3. The sample notes with their questions and tests/retrieval/content-questions.jsonl (no dates): hit@1
   and hit@3 with BM25 alone and, when `labtune[embeddings]` is installed, fused with MiniLM.
4. The default model answers questions about the generated folder open-book (accuracy and time).
5. Latency of one answer, closed-book against open-book, at the same answer length (the stop tokens are
   turned off so both generate exactly L tokens), through the chat engine. Target: <= 1.5x.

    python benchmarks/retrieval.py                      # everything, ~5-10 min on a 2-core CPU
    python benchmarks/retrieval.py --notes 200 --no-model   # index and retrieval only, seconds
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from labtune.data.conversation import Message  # noqa: E402
from labtune.retrieval import build_index, load_index, open_book, search  # noqa: E402

FIRST = ["Ada", "Hana", "Ravi", "Mateo", "Priya", "Oskar", "Ingrid", "Tomasz", "Leilani", "Grace", "Alan", "Noor",
         "Kofi", "Mina", "Sven", "Yara", "Diego", "Aiko", "Farah", "Lars"]
LAST = ["Byron", "Kowalczyk", "Castellano", "Lindqvist", "Okonkwo", "Villanueva", "Mwangi", "Adeyemi", "Brandt",
        "Hopper", "Turing", "Haddad", "Mensah", "Sato", "Berg", "Costa", "Ruiz", "Tanaka", "Nasser", "Holm"]
SUBJECTS = ["sediment cores", "methane flux", "diatom counts", "phage abundance", "nitrogen fixation",
            "lead-210 dating", "oxygen microprofiles", "metagenome assembly", "field safety", "grant aims",
            "amplicon pipeline", "poster drafts", "cyanobacteria blooms", "ice cover", "zooplankton grazing"]
ACTIONS = ["share the spreadsheet", "book the cold room", "order spare septa", "draft the map", "calibrate the sensor",
           "write the protocol", "scan the slides", "check the boat rack"]


def make_notes(folder: Path, n: int, seed: int = 0) -> list[dict]:
    """n weekly meetings with a presenter, recorder, topic and items; returns what each one says."""
    rng = random.Random(seed)
    day = date(2005, 1, 7)
    meetings = []
    for i in range(n):
        presenter, recorder = (f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in range(2))
        topic = f"{rng.choice(SUBJECTS).capitalize()} at site {rng.randint(1, 99)}"
        items = [f"{j}. {rng.choice(SUBJECTS).capitalize()}: {rng.randint(2, 900)} samples, "
                 f"{rng.choice(FIRST)} will {rng.choice(ACTIONS)}" for j in range(1, (90 if i % 10 == 0 else 5) + 1)]
        text = (f"Lab meeting on {day.month}/{day.day}/{day.year}\n\nPresenter: {presenter}\nRecorder: {recorder}\n"
                f"Topic: {topic}\n\n" + "\n".join(items) + "\n")
        path = folder / str(day.year) / f"{day.isoformat()}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        meetings.append({"date": day, "presenter": presenter, "recorder": recorder, "topic": topic, "path": path})
        day += timedelta(days=7)
    return meetings


def spell(day: date, style: int) -> str:
    return [f"{day.month}/{day.day}/{day.year}", day.isoformat(), f"{day:%B} {day.day}th, {day.year}",
            f"{day:%b} {day.day}, {day.year}"][style % 4]


def questions_for(meetings: list[dict], n: int, seed: int = 1) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for i, m in enumerate(rng.sample(meetings, min(n, len(meetings)))):
        kind = ["presenter", "recorder", "topic"][i % 3]
        when = spell(m["date"], i)
        text = {"presenter": f"Who presented at the {when} lab meeting?",
                "recorder": f"Who took the notes at the {when} lab meeting?",
                "topic": f"What was the topic of the {when} lab meeting?"}[kind]
        answer = m[kind] if kind != "topic" else m["topic"].split(" at site")[0]
        out.append({"question": text, "answers": [answer], "kind": kind,
                    "date": m["date"].isoformat()})
    return out


def hits_at(index, questions: list[dict], right) -> tuple[float, float]:
    ranked = [[h.chunk for h in search(index, q["question"], k=3)] for q in questions]
    hit1 = sum(bool(r) and right(q, r[0]) for q, r in zip(questions, ranked)) / len(questions)
    hit3 = sum(any(right(q, c) for c in r) for q, r in zip(questions, ranked)) / len(questions)
    return hit1, hit3


def bench_index(n: int, workdir: Path) -> tuple[object, list[dict]]:
    notes = workdir / "notes"
    meetings = make_notes(notes, n)
    build_index(notes, workdir / "warm-up", embedding=False)  # imports and first-call costs out of the timing
    started = time.perf_counter()
    report = build_index(notes, workdir / "index", embedding=False)
    built = time.perf_counter() - started
    for m in meetings[:10]:
        m["path"].write_text(m["path"].read_text() + "\nOne more line.\n")
    started = time.perf_counter()
    update = build_index(notes, workdir / "index")
    updated = time.perf_counter() - started
    started = time.perf_counter()
    index = load_index(workdir / "index")
    loaded = time.perf_counter() - started
    print(f"index: {n} notes -> {len(report.index.chunks)} chunks in {built:.2f}s "
          f"({100 * built / n:.2f}s per 100 notes; target < 1 s); update after 10 edits {updated:.2f}s "
          f"({update.changed} changed, {update.unchanged} unchanged); load {loaded:.2f}s")
    questions = questions_for(meetings, 300)
    started = time.perf_counter()
    hit1, hit3 = hits_at(index, questions, lambda q, c: c.date == q["date"])
    per_query = (time.perf_counter() - started) / len(questions)
    print(f"retrieval on the generated folder: {len(questions)} questions, hit@1 {hit1:.1%}, hit@3 {hit3:.1%}, "
          f"{1000 * per_query:.1f} ms per search")
    return index, questions


def bench_samples(workdir: Path, embeddings: bool) -> None:
    from labtune.retrieval.dates import find_dates
    from labtune.samples import LABNOTES, LABNOTES_MESSY, LABNOTES_MESSY_QUESTIONS, LABNOTES_QUESTIONS

    def read(path: Path) -> list[dict]:
        return [json.loads(line) for line in path.read_text().splitlines()]

    def right(index):
        def check(q, chunk):
            if "note" in q:  # a file name, or "file (date)" for one meeting of a file holding several
                return q["note"] in (chunk.note, chunk.note.rsplit("/", 1)[-1], chunk.source.split(" (part")[0])
            return chunk.date is not None and any(m.matches(date.fromisoformat(chunk.date))
                                                  for m in find_dates(q["question"], index.day_first))
        return check

    sets = [(LABNOTES, "sample questions", read(LABNOTES_QUESTIONS)),
            (LABNOTES, "content questions (no dates)", read(REPO / "tests/retrieval/content-questions.jsonl")),
            (LABNOTES_MESSY, "messy-layout questions", read(LABNOTES_MESSY_QUESTIONS))]
    for embedding in [False] + ([True] if embeddings else []):
        for folder, name, questions in sets:
            index = build_index(folder, workdir / f"{folder.name}-{embedding}", embedding=embedding).index
            hit1, hit3 = hits_at(index, questions, right(index))
            print(f"{'BM25+MiniLM' if embedding else 'BM25':12s} {name}: {len(questions)} questions, "
                  f"hit@1 {hit1:.1%}, hit@3 {hit3:.1%}")


def bench_answers(index, questions: list[dict], n: int) -> None:
    from labtune.eval.answer import generate_answers
    from labtune.eval.scoring import score
    from labtune.model.load import load

    loaded = load("smollm2-135m")
    chosen = questions[:n]
    prompts = [open_book([Message("user", q["question"])], index)[0] for q in chosen]
    started = time.perf_counter()
    answers = generate_answers(loaded, prompts, max_new_tokens=48, batch_size=8)
    seconds = time.perf_counter() - started
    right = sum(score(a, q["answers"]) for a, q in zip(answers, chosen))
    print(f"open-book answers (default model, generated folder): {right}/{len(chosen)} right, "
          f"{seconds / len(chosen):.2f}s per question (batched by 8)")
    return loaded


def bench_latency(loaded, index, questions: list[dict], lengths: list[int], repeats: int) -> None:
    from labtune.serve.generate import Engine, Sampling

    engine = Engine(loaded)
    engine.stop_token_ids = set()  # both sides generate exactly L tokens
    for length in lengths:
        sampling = Sampling(temperature=0, max_new_tokens=length)
        closed, opened, closed_tokens, open_tokens = [], [], [], []
        for q in questions[:repeats]:
            messages = [Message("user", q["question"])]
            started = time.perf_counter()
            ids = engine.chat_prompt_ids(messages)
            assert engine.generate(ids, sampling).run().completion_tokens == length
            closed.append(time.perf_counter() - started)
            closed_tokens.append(len(ids))
            started = time.perf_counter()  # the search is part of an open-book answer's time
            ids = engine.chat_prompt_ids(open_book(messages, index)[0])
            assert engine.generate(ids, sampling).run().completion_tokens == length
            opened.append(time.perf_counter() - started)
            open_tokens.append(len(ids))
        c, o = statistics.median(closed), statistics.median(opened)
        print(f"latency at {length} answer tokens: closed-book {c:.2f}s ({statistics.median(closed_tokens):.0f} "
              f"prompt tokens), open-book {o:.2f}s ({statistics.median(open_tokens):.0f} prompt tokens) -> "
              f"{o / c:.2f}x (target <= 1.5x), median of {len(closed)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notes", type=int, default=1000, help="Generated meetings to index.")
    parser.add_argument("--answers", type=int, default=16, help="Questions the default model answers open-book.")
    parser.add_argument("--lengths", default="32,128", help="Answer lengths for the latency ratio.")
    parser.add_argument("--repeats", type=int, default=5, help="Questions timed per answer length.")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads.")
    parser.add_argument("--no-model", action="store_true", help="Index and retrieval only.")
    parser.add_argument("--embeddings", action="store_true", help="Also measure BM25 fused with MiniLM.")
    args = parser.parse_args()
    print(f"{time.strftime('%Y-%m-%d %H:%M')}  {' '.join(sys.argv)}")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        index, questions = bench_index(args.notes, workdir)
        bench_samples(workdir, args.embeddings)
        if args.no_model:
            return
        import torch

        if args.threads:
            torch.set_num_threads(args.threads)
        loaded = bench_answers(index, questions, args.answers)
        bench_latency(loaded, index, questions, [int(x) for x in args.lengths.split(",")], args.repeats)


if __name__ == "__main__":
    main()
