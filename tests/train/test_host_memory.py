"""glibc malloc in CPU training (glibc/Linux only): training keeps freed blocks for the next step's reuse
(no page faults); a 256 KB threshold would return them at once; `--low_cpu_memory` trims the heap at
chosen points of each step."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from testpaths import REPO

# Free every other 1 MB block of 300, then allocate and touch the same amount again: how much left the
# resident set, and how many page faults the second round took; then free everything, top of the heap
# included: how much left.
SCRIPT = """
import json, resource, sys
sys.path.insert(0, {repo!r})
from labtune.train.cpu.host_memory import LOW_MEMORY_THRESHOLD, configure_host_memory, set_malloc
mode = {mode!r}
assert (set_malloc(LOW_MEMORY_THRESHOLD, LOW_MEMORY_THRESHOLD) if mode == "256K"
        else configure_host_memory(low_memory=mode == "low_cpu_memory"))
def rss_mb():
    return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmRSS")) / 1024
blocks = [bytearray(1 << 20) for _ in range(300)]
before = rss_mb()
del blocks[::2]
released = before - rss_mb()
faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
again = [bytearray(1 << 20) for _ in range(150)]
faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults
before = rss_mb()
del blocks, again
print(json.dumps({{"released_mb": released, "faults": faults, "released_at_end_mb": before - rss_mb()}}))
"""


def _run(mode: str) -> dict:
    code = SCRIPT.format(repo=str(REPO), mode=mode)
    return json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc mallopt is Linux-only")
def test_low_memory_returns_freed_blocks_and_fast_reuses_them():
    low, fast, low_cpu = _run("256K"), _run("default"), _run("low_cpu_memory")
    assert low["released_mb"] > 120  # ~150 MB of 1 MB holes left the process
    assert fast["released_mb"] < 30  # kept in the heap...
    # ...and reused: 150 MB touched again costs ~38k page faults of 4 KB when it must be mapped afresh.
    assert low["faults"] > 30_000
    assert fast["faults"] < 5_000
    # The heap's top is kept too: a trim threshold that wraps to 0 (1 << 40 through ctypes) would make
    # glibc give back the top of the heap at every free (100k page faults a step).
    assert low["released_at_end_mb"] > 250
    assert fast["released_at_end_mb"] < 30
    # --low_cpu_memory keeps interior holes (its trims are in the step) but gives the top back at once.
    assert low_cpu["released_mb"] < 30 and low_cpu["faults"] < 5_000
    assert low_cpu["released_at_end_mb"] > 250


def test_set_malloc_refuses_what_a_c_int_cannot_hold():
    from labtune.train.cpu.host_memory import set_malloc

    with pytest.raises(ValueError, match="C int"):
        set_malloc(1 << 20, 1 << 40)


def test_low_cpu_memory_changes_no_number(make_cfg, tmp_path):
    import torch
    from safetensors.torch import load_file

    from labtune.train.loop import train

    runs = [train(make_cfg(output_dir=str(tmp_path / str(low)), low_cpu_memory=low)) for low in (True, False)]
    low, fast = (load_file(str(run / "model" / "model.safetensors")) for run in runs)
    assert low.keys() == fast.keys()
    assert all(torch.equal(low[name], fast[name]) for name in low)


def test_trim_during_step_trims_after_forward_and_as_backward_reaches_the_chosen_layers(monkeypatch):
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    from labtune.train.cpu import host_memory

    if sys.platform.startswith("linux"):
        assert host_memory._glibc("malloc_trim") is not None  # so CPU training really trims here
    trims = []
    monkeypatch.setattr(host_memory, "_glibc", lambda name: (lambda pad: trims.append(pad)))
    config = LlamaConfig(vocab_size=64, hidden_size=16, intermediate_size=32, num_hidden_layers=30,
                         num_attention_heads=2, num_key_value_heads=1)
    model = LlamaForCausalLM(config)
    assert host_memory.trim_during_step(model) == {"forward": [10, 20, 29], "backward": [2, 10, 20]}
    ids = torch.randint(0, 64, (1, 12))
    with torch.no_grad():  # evaluation and generation: no trimming
        model(input_ids=ids)
    model.eval()
    model(input_ids=ids)
    assert trims == []
    model.train()
    loss = model(input_ids=ids, labels=ids).loss
    assert trims == [0, 0, 0]  # after layers 10, 20 and 29 in forward
    loss.backward()
    assert trims == [0] * 6


def test_trim_during_step_needs_decoder_layers(monkeypatch):
    import torch

    from labtune.train.cpu import host_memory

    monkeypatch.setattr(host_memory, "_glibc", lambda name: (lambda pad: None))
    assert host_memory.trim_during_step(torch.nn.Linear(2, 2)) == {"forward": [], "backward": []}
