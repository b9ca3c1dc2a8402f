"""allocator.py: tcmalloc found, preloaded into training commands only, and really in use in a run."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from labtune.train.cpu import allocator


def test_find_tcmalloc_looks_in_the_given_dirs_in_order(tmp_path):
    first, second = tmp_path / "venv-lib", tmp_path / "usr-lib"
    first.mkdir(), second.mkdir()
    assert allocator.find_tcmalloc([first, second]) is None
    (second / "libtcmalloc.so.4").write_bytes(b"")
    (first / "libtcmalloc_minimal.so.4").write_bytes(b"")
    assert allocator.find_tcmalloc([first, second]) == first / "libtcmalloc_minimal.so.4"
    assert allocator.find_tcmalloc([second]) == second / "libtcmalloc.so.4"


def test_preload_environment_prepends_the_library_and_respects_the_opt_out(tmp_path):
    library = tmp_path / "libtcmalloc_minimal.so.4"
    env = allocator.preload_environment({"LD_PRELOAD": "/opt/other.so", "PATH": "/bin"}, library)
    assert env["LD_PRELOAD"] == f"{library} /opt/other.so" and env["PATH"] == "/bin"
    assert int(env["TCMALLOC_LARGE_ALLOC_REPORT_THRESHOLD"]) >= 2 ** 40  # no "large alloc" lines for a model
    assert allocator.preload_environment({}, library)["LD_PRELOAD"] == str(library)
    assert allocator.preload_environment({allocator.CHOICE_ENV: "system"}, library) is None
    assert allocator.preload_environment({"LD_PRELOAD": str(library)}, library) is None  # already there


@pytest.mark.parametrize("command", ["train", "bench"])
def test_an_unknown_allocator_choice_is_one_line_and_exit_2(tmp_path, tiny_model_dir, chats, command):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", allocator.CHOICE_ENV: "jemalloc"}
    env.pop(allocator.REEXEC_ENV, None)
    args = {"train": ["train", "-m", str(tiny_model_dir), "-d", str(chats), "-o", str(tmp_path / "run")],
            "bench": ["bench", "train", "-m", str(tiny_model_dir), "-d", str(chats), "--no-trl",
                      "-o", str(tmp_path / "run")]}[command]
    proc = subprocess.run([sys.executable, "-m", "labtune", *args], env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip() == "error: LABTUNE_MALLOC='jemalloc': expected 'auto' (tcmalloc where installed) or 'system'"
    assert proc.stdout == ""  # refused before anything loads or runs
    assert not (tmp_path / "run").exists()


def test_reexec_only_for_training_commands_and_only_once(monkeypatch, tmp_path):
    library = tmp_path / "libtcmalloc_minimal.so.4"
    calls = []
    monkeypatch.setattr(allocator.os, "execve", lambda *args: calls.append(args))
    monkeypatch.setattr(allocator, "find_tcmalloc", lambda: library)
    monkeypatch.setattr(allocator, "active", lambda: "system")
    monkeypatch.delenv(allocator.REEXEC_ENV, raising=False)
    monkeypatch.delenv(allocator.CHOICE_ENV, raising=False)
    monkeypatch.delenv("LD_PRELOAD", raising=False)
    for argv in ([], ["chat", "run"], ["serve", "run"], ["data", "check", "x.json"], ["bench", "train"]):
        allocator.reexec_on_tcmalloc(argv)
    assert calls == []
    monkeypatch.setattr(sys, "orig_argv", [sys.executable, "-m", "labtune", "train", "c.yaml"])
    allocator.reexec_on_tcmalloc(["train", "c.yaml"])
    (executable, args, env), = calls
    assert executable == sys.executable and args == [sys.executable, "-m", "labtune", "train", "c.yaml"]
    assert env["LD_PRELOAD"] == str(library) and env[allocator.REEXEC_ENV] == "1"
    monkeypatch.setenv(allocator.REEXEC_ENV, "1")  # the re-executed process: never again
    allocator.reexec_on_tcmalloc(["train", "c.yaml"])
    assert len(calls) == 1


@pytest.mark.skipif(allocator.find_tcmalloc() is None, reason="tcmalloc not installed (make installs it as root)")
@pytest.mark.parametrize("choice", ["auto", "system"])
def test_a_training_command_runs_on_tcmalloc_unless_told_not_to(choice, tmp_path, tiny_model_dir, chats):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", allocator.CHOICE_ENV: choice}
    env.pop("LD_PRELOAD", None)
    env.pop(allocator.REEXEC_ENV, None)
    out = tmp_path / "run"
    proc = subprocess.run([sys.executable, "-m", "labtune", "train", "-m", str(tiny_model_dir), "-d", str(chats),
                           "-o", str(out), "--max_steps", "2", "--quiet"], env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "large alloc" not in proc.stderr
    assert json.loads((out / "run.json").read_text())["malloc"] == ("tcmalloc" if choice == "auto" else "system")


RSS_AFTER_FREE = """
import json, sys
import torch
from labtune.train.cpu import allocator, host_memory

def rss_mb():
    return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmRSS")) / 1024

host_memory.configure_host_memory(low_memory=sys.argv[1] == "low")
block = torch.ones(50 * 2 ** 20)  # 200 MB, touched
held = rss_mb()
del block
print(json.dumps({"malloc": allocator.active(), "given_back_mb": held - rss_mb()}))
"""


@pytest.mark.skipif(allocator.find_tcmalloc() is None, reason="tcmalloc not installed (make installs it as root)")
def test_under_tcmalloc_freed_memory_is_kept_by_default_and_given_back_with_low_cpu_memory():
    env = allocator.preload_environment({**os.environ, "HF_HUB_OFFLINE": "1"})
    results = {}
    for mode in ("default", "low"):
        proc = subprocess.run([sys.executable, "-c", RSS_AFTER_FREE, mode], env=env, capture_output=True, text=True,
                              timeout=120)
        assert proc.returncode == 0, proc.stderr[-2000:]
        results[mode] = json.loads(proc.stdout.strip().splitlines()[-1])
    assert results["default"]["malloc"] == results["low"]["malloc"] == "tcmalloc"
    assert results["default"]["given_back_mb"] < 20  # kept for the next step's reuse
    assert results["low"]["given_back_mb"] > 180  # aggressive decommit: back to the OS at once
