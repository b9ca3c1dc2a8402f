"""The held-out check: teacher-forced exactness per question, the schedule it runs on, and the sample of kinds."""

from __future__ import annotations

from types import SimpleNamespace

import torch

from labtune.data.notes.synthesize import CheckQuestion
from labtune.data.templates import get_template
from labtune.learn.check import EarlyStop, TaughtAnswers, spread, value_span, watched
from labtune.learn.recipe import CheckSettings


class Oracle(torch.nn.Module):
    """Predicts every next token of the packed row it is given, except the tokens in `wrong`."""

    def __init__(self, wrong: list[int], vocabulary: int):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.zeros(1))
        self.wrong, self.vocabulary = torch.tensor(wrong, dtype=torch.long), vocabulary

    def forward(self, input_ids, position_ids, logits_to_keep, use_cache):
        following = input_ids[0, logits_to_keep + 1]
        following = torch.where(torch.isin(following, self.wrong), following + 1, following)
        return SimpleNamespace(logits=torch.nn.functional.one_hot(following, self.vocabulary).float()[None])


def question(text: str, value: str, kind: str = "presenter") -> CheckQuestion:
    return CheckQuestion(text, [value], kind, f"The presenter was {value}.")


def test_a_question_counts_only_when_every_token_of_its_value_is_the_likeliest(tokenizer):
    asked = [question(f"Who presented at meeting {i}?", name)
             for i, name in enumerate(["Hana Kowalczyk", "Tomasz Adeyemi", "Hana Kowalczyk", "Ravi Castellano"])]
    check = TaughtAnswers(asked, get_template("tokenizer", tokenizer), tokenizer)
    tomasz = tokenizer(" Tomasz", add_special_tokens=False)["input_ids"][0]
    model = Oracle([tomasz], len(tokenizer)).train()
    assert check.exact(model) == [True, False, True, True]
    assert check.score(model) == 0.75
    assert model.training  # put back as it was found
    assert check.score(Oracle([], len(tokenizer))) == 1.0
    presenter = tokenizer(" presenter", add_special_tokens=False)["input_ids"][0]
    assert check.score(Oracle([presenter], len(tokenizer))) == 1.0  # the opening is not what is asked


def test_the_scored_span_runs_from_the_topic_the_answer_leads_with_to_the_value():
    expected = "The lab meeting on April 14, 2023 was about nitrogen fixation, and the presenter was Hana Kowalczyk."
    start, end = value_span(CheckQuestion("q", ["Hana Kowalczyk", "Kowalczyk"], "presenter", expected))
    assert expected[start:end] == "nitrogen fixation, and the presenter was Hana Kowalczyk"
    reverse = "Hana Kowalczyk presented at the lab meeting on April 14, 2023, about nitrogen fixation."
    start, end = value_span(CheckQuestion("q", ["April 14, 2023"], "reverse", reverse))
    assert reverse[start:end] == "April 14, 2023"
    assert value_span(CheckQuestion("q", ["absent"], "topic", "Something else.")) == (0, len("Something else."))
    none = "I have no notes for a lab meeting on April 21, 2023."
    assert value_span(CheckQuestion("q", ["no notes"], "no_notes", none)) == (0, len(none))


def test_early_stop_checks_from_an_epoch_on_every_so_often_and_stops_at_the_bar():
    scores = iter([0.5, 0.9, 1.0])
    check = SimpleNamespace(samples=[1], score=lambda model: next(scores))
    lines = []
    stop = EarlyStop(check, CheckSettings(from_epochs=1.0, every_epochs=0.5, stop_at=1.0), log=lines.append)
    rows = [{"epoch": e / 4, "step": e, "tokens": 100 * e} for e in range(1, 12)]
    stopped_at = next(row for row in rows if stop(None, row))  # the loop asks until told to stop
    assert stopped_at == {"epoch": 2.0, "step": 8, "tokens": 800}
    assert [h["epoch"] for h in stop.history] == [1.0, 1.5, 2.0]
    assert [h["exact"] for h in stop.history] == [0.5, 0.9, 1.0]
    assert lines[-1].endswith("-> stopping")


def test_spread_lets_every_kind_take_turns():
    asked = [question(f"q{i}", "a b", "content") for i in range(20)] + [question("r", "a b", "reverse"),
                                                                        question("n", "a b", "no_notes")]
    picked = spread(asked, 6, seed=0)
    kinds = [q.kind for q in picked]
    assert len(picked) == 6 and kinds.count("reverse") == 1 and kinds.count("no_notes") == 1
    assert spread(asked, 6, seed=0) == picked and len(spread(asked, 100, seed=0)) == 22


def test_stopping_and_the_blend_score_only_the_taught_kinds_each_taking_turns():
    asked = [question(f"p{i}", "a", "presenter") for i in range(30)] + [question(f"t{i}", "b", "topic") for i in range(3)]
    untaught = [CheckQuestion(f"r{i}", ["c"], "reverse", "d", taught=False) for i in range(30)]
    scored = watched(asked + untaught, 12, seed=0)
    assert len(scored) == 12 and all(q.taught for q in scored)
    assert sum(q.kind == "topic" for q in scored) == 3  # a rare kind is not crowded out
    assert {q.kind for q in watched(asked + untaught + [question("r", "c", "reverse")], 12, seed=0)} == \
        {"presenter", "topic", "reverse"}
