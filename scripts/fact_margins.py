"""How firmly a tuned run knows each fact of the notes: a log-probability margin per sample question.

For every question in the questions file, the answer prefix the run was trained to write ("The lab
meeting on April 14, 2023 was about nitrogen fixation ..., and the recorder was") is put after the
question, and the right value's log-probability is compared with the best wrong one (the other people
for Presenter/Recorder, the other topics for Topic). A positive margin means greedy decoding would pick
the right value once it has written the prefix; its size says how far the run is from flipping.
Accuracy on 39 questions jumps between runs; the mean margin moves smoothly, so it compares recipes.

    python scripts/fact_margins.py runs/demo                  # answers that open with the topic
    python scripts/fact_margins.py runs/old --answer-form date  # "The recorder of the lab meeting on ... was"
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from labtune.data.conversation import Message
from labtune.data.notes.parse import find_date, read_notes
from labtune.data.notes.synthesize import format_date, sentence_value
from labtune.data.tokenize import encode_prompt
from labtune.model.load import load
from labtune.samples import LABNOTES, LABNOTES_QUESTIONS

REPO = Path(__file__).resolve().parents[1]
PREFIXES = {
    "topic": {"Presenter": "The lab meeting on {d} was about {t}, and the presenter was",
              "Recorder": "The lab meeting on {d} was about {t}, and the recorder was",
              "Topic": "The lab meeting on {d} was about"},
    "date": {"Presenter": "The presenter of the lab meeting on {d} was",
             "Recorder": "The recorder of the lab meeting on {d} was",
             "Topic": "The topic of the lab meeting on {d} was"},
}


def value_log_probs(model, tokenizer, prompt_ids: list[int], values: list[str]) -> list[float]:
    """Summed log-probability of each value as the continuation of prompt_ids, in one batch."""
    rows = [tokenizer(" " + v, add_special_tokens=False)["input_ids"] for v in values]
    width = max(map(len, rows))
    batch = torch.tensor([prompt_ids + r + [0] * (width - len(r)) for r in rows])
    with torch.no_grad():
        log_probs = model(batch).logits.log_softmax(-1)
    start = len(prompt_ids) - 1
    return [sum(log_probs[b, start + i, t].item() for i, t in enumerate(r)) for b, r in enumerate(rows)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run")
    parser.add_argument("--notes", type=Path, default=LABNOTES)
    parser.add_argument("--questions", type=Path, default=LABNOTES_QUESTIONS)
    parser.add_argument("--answer-form", choices=sorted(PREFIXES), default="topic")
    args = parser.parse_args()
    loaded = load(args.run)
    model, tokenizer = loaded.model.eval(), loaded.tokenizer
    notes = [n for n in read_notes(args.notes).notes if n.date]
    people = sorted({n.fields[k] for n in notes for k in ("Presenter", "Recorder") if k in n.fields})
    margins: dict[str, list[float]] = {}
    for line in args.questions.read_text().splitlines():
        if not line.strip():
            continue
        question = json.loads(line)
        key = question["kind"].capitalize()
        note = next((n for n in notes if n.date == find_date(question["question"])), None)
        if note is None or key not in PREFIXES[args.answer_form] or key not in note.fields:
            continue
        topic = sentence_value(note.fields.get("Topic", ""))
        prefix = PREFIXES[args.answer_form][key].format(d=format_date(note.date, "long"), t=topic)
        prompt_ids = (encode_prompt([Message("user", question["question"])], loaded.template, tokenizer)
                      + tokenizer(prefix, add_special_tokens=False)["input_ids"])
        right = note.fields[key] if key != "Topic" else topic
        wrong = ([sentence_value(n.fields["Topic"]) for n in notes if n is not note and "Topic" in n.fields]
                 if key == "Topic" else [p for p in people if p != right])
        scores = value_log_probs(model, tokenizer, prompt_ids, [right, *wrong])
        best = max(range(1, len(scores)), key=scores.__getitem__)
        margins.setdefault(key, []).append(scores[0] - scores[best])
        print(f"{key:9} {format_date(note.date, 'long'):17} {scores[0] - scores[best]:+6.2f}  "
              f"{right[:28]:28} best wrong: {([right, *wrong])[best][:28]}")
    every = [m for ms in margins.values() for m in ms]
    for key, ms in [*margins.items(), ("all", every)]:
        print(f"{key}: {sum(m > 0 for m in ms)}/{len(ms)} positive, mean margin {sum(ms) / len(ms):+.2f} nats, "
              f"min {min(ms):+.2f}")


if __name__ == "__main__":
    main()
