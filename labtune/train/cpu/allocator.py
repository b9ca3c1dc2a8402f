"""The C allocator a CPU training process runs on: tcmalloc where it is installed, else the C library's.

Why: glibc's malloc puts each step's gradients back into the previous step's gradient holes and the
activations into the activation holes, so both stay resident, ~0.4 GB over what is live on
SmolLM2-135M. tcmalloc's page heap hands the same pages to whichever comes next, so the peak stays
~0.1 GB over what is live at the same speed. `python benchmarks/host_memory.py --only default` on the
bench's 2-core CPU: 2.94-3.00 GB with glibc, 2.69-2.72 GB with tcmalloc, the same tokens/s (docs/benchmarks.md).

An allocator must be in place before the process starts, so it is preloaded (LD_PRELOAD), as torch's
own CPU launcher does (`python -m torch.backends.xeon.run_cpu --enable_tcmalloc`): the training
commands re-execute themselves once with it. `LABTUNE_MALLOC=system` keeps the C library's malloc.
Installing it: `apt-get install libtcmalloc-minimal4` (Debian, Ubuntu); `make` does it as root.
"""

from __future__ import annotations

import os
import sys
import sysconfig
from pathlib import Path

from labtune.errors import LabtuneError

CHOICE_ENV = "LABTUNE_MALLOC"  # "auto" (default): tcmalloc when found; "system": the C library's malloc
REEXEC_ENV = "LABTUNE_MALLOC_REEXEC"  # set on the re-executed process: never re-execute twice
LIBRARY_NAMES = ("libtcmalloc_minimal.so.4", "libtcmalloc.so.4", "libtcmalloc_minimal.so", "libtcmalloc.so")
# Commands whose process trains a model in-process (bench train preloads only its labtune side).
TRAINING_COMMANDS = ("train", "learn", "demo", "experiment")


def library_dirs() -> list[Path]:
    """Where a distribution or a virtual environment puts shared libraries, the environment's first."""
    multiarch = sysconfig.get_config_var("MULTIARCH") or ""
    dirs = [Path(sys.prefix) / "lib", Path("/usr/local/lib"), Path("/usr/lib") / multiarch, Path("/usr/lib64"),
            Path("/usr/lib")]
    return list(dict.fromkeys(dirs))


def find_tcmalloc(dirs: list[Path] | None = None) -> Path | None:
    for directory in dirs if dirs is not None else library_dirs():
        for name in LIBRARY_NAMES:
            if (directory / name).is_file():
                return directory / name
    return None


def active() -> str:
    """"tcmalloc" when it is loaded in this process, else "system"."""
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        return "system"
    return "tcmalloc" if "libtcmalloc" in maps else "system"


def preload_environment(environ: dict[str, str] | None = None, library: Path | None = None) -> dict[str, str] | None:
    """The environment that starts a process on tcmalloc, or None where that cannot or should not happen."""
    environ = dict(os.environ if environ is None else environ)
    choice = environ.get(CHOICE_ENV, "auto")
    if choice not in ("auto", "system"):
        raise LabtuneError(f"{CHOICE_ENV}={choice!r}: expected 'auto' (tcmalloc where installed) or 'system'")
    if not sys.platform.startswith("linux") or choice == "system":
        return None
    if "libtcmalloc" in environ.get("LD_PRELOAD", ""):
        return None
    library = library or find_tcmalloc()
    if library is None:
        return None
    environ["LD_PRELOAD"] = " ".join(filter(None, [str(library), environ.get("LD_PRELOAD", "")]))
    # tcmalloc prints a line for every allocation over 1 GB (a model's state dict); that is not news here.
    environ.setdefault("TCMALLOC_LARGE_ALLOC_REPORT_THRESHOLD", str(2 ** 62))
    return environ


def reexec_on_tcmalloc(argv: list[str]) -> None:
    """Re-execute this command with tcmalloc preloaded when it trains and tcmalloc is installed.

    `argv` is the command line after the program (`sys.argv[1:]`). Returns when nothing is to be
    done: another command, tcmalloc absent or already loaded, `LABTUNE_MALLOC=system`, or this
    process is itself the re-executed one (so a library that fails to load cannot cause a loop).
    """
    if not argv or argv[0] not in TRAINING_COMMANDS or os.environ.get(REEXEC_ENV) or active() == "tcmalloc":
        return
    environ = preload_environment()
    if environ is None:
        return
    environ[REEXEC_ENV] = "1"
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]], environ)
