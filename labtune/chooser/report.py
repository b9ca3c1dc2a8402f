"""`labtune models`: which model to start from, with what it costs on this machine."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, replace

from labtune.chooser.card import ModelCard, describe
from labtune.chooser.estimate import Estimate, Machine, compute, measure_machine
from labtune.chooser.probe import ProbeSettings, measure
from labtune.model.resolve import ALIASES, resolve_model

MODES = ("full", "lora", "qlora", "inference")
LABELS = {"full": "full", "lora": "LoRA", "qlora": "QLoRA", "inference": "inference"}
SEQ_LEN = 128  # tokens per sample costed by the computed estimate: the probe's conversations are ~130


def can_run(mode: str, machine: Machine) -> str | None:
    """Why `mode` cannot be measured here, or None."""
    if mode != "qlora":
        return None
    import importlib.util

    if machine.device != "cuda":
        return "QLoRA needs a CUDA GPU and bitsandbytes"
    if importlib.util.find_spec("bitsandbytes") is None:
        return "QLoRA needs bitsandbytes (pip install bitsandbytes)"
    return None


def survey(specs: list[str], probe: bool = True, refresh: bool = False, settings: ProbeSettings = ProbeSettings(),
           machine: Machine | None = None, on_probe: Callable[[str, str], None] | None = None) -> dict:
    """Cards and estimates for the aliases and each model given (duplicates once), as JSON-able data."""
    machine = machine or measure_machine()
    names = list(dict.fromkeys([*ALIASES, *map(str, specs)]))
    cards = [describe(name) for name in names]  # every name checked before any probe starts
    models = []
    for card in cards:
        computed = {mode: compute(card.architecture, machine, settings.batch, SEQ_LEN, mode) for mode in MODES}
        chosen: dict[str, Estimate] = dict(computed)
        if probe and card.present:
            model_dir = resolve_model(card.name)
            for mode in MODES:
                reason = can_run(mode, machine)
                if reason is not None:
                    chosen[mode] = replace(computed[mode], note=reason)
                    continue
                if on_probe:
                    on_probe(card.name, mode)
                chosen[mode] = measure(model_dir, mode, machine.name, settings, refresh)
        models.append({"card": _card_dict(card), "estimates": {m: asdict(e) for m, e in chosen.items()},
                       "computed": {m: asdict(e) for m, e in computed.items()}})
    return {"machine": asdict(machine), "probe": asdict(settings), "computed_seq_len": SEQ_LEN, "models": models}


def _card_dict(card: ModelCard) -> dict:
    out = card.as_dict()
    out["architecture"] = dict(out["architecture"])
    return out


def _size(n: int) -> str:
    return f"{n / 1e9:.2f}B" if n >= 1e9 else f"{n / 1e6:.0f}M"


def tables(report: dict):
    from rich.table import Table

    cards = Table(title="models")
    for column in ("model", "from", "parameters", "context", "licence"):
        cards.add_column(column, justify="right" if column in ("parameters", "context") else "left")
    probe = report["probe"]
    costs = Table(title=f"on this machine ({report['machine']['name']}; matmul peak "
                        f"{report['machine']['matmul_gflops']:.0f} GFLOP/s fp32)",
                  caption=f"training: batch {probe['batch']} x ~{report['computed_seq_len']} tokens; inference: "
                          "greedy, batch 1. measured: a few steps of labtune's own training loop (or a generation) "
                          "here; computed: FLOPs over the measured matmul peak, memory from the architecture",
                  caption_justify="left")
    for column in ("model", "mode", "memory", "s / 1k tokens", "how"):
        costs.add_column(column, justify="right" if column in ("memory", "s / 1k tokens") else "left")
    for model in report["models"]:
        card = model["card"]
        counted = card["parameters_from"] == "weights"
        cards.add_row(card["name"], card["source"], _size(card["parameters"]) + ("" if counted else " (computed)"),
                      f"{card['context']:,}", card["license"] or "unknown")
        for mode in MODES:
            e = model["estimates"][mode]
            memory = "-" if e["memory_gb"] is None else f"{e['memory_gb']:.2f} GB"
            seconds = "-" if e["seconds_per_1k_tokens"] is None else f"{e['seconds_per_1k_tokens']:.1f}"
            how = e["note"] if e["source"] == "n/a" else e["source"]
            costs.add_row(card["name"] if mode == MODES[0] else "", LABELS[mode], memory, seconds, how)
    return cards, costs
