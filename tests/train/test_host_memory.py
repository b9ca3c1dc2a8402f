"""Freed blocks go back to the OS once `return_freed_memory` is on (glibc/Linux only)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from testpaths import REPO

# Raise glibc's dynamic mmap threshold with one big free, then free every other 1 MB block of 300:
# the holes stay in the heap (RSS) unless blocks above the fixed threshold were mmapped.
SCRIPT = """
import sys
sys.path.insert(0, {repo!r})
from labtune.train.host_memory import return_freed_memory
if {fixed}:
    assert return_freed_memory()
def rss_mb():
    return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmRSS")) / 1024
big = bytearray(16 << 20); del big
blocks = [bytearray(1 << 20) for _ in range(300)]
before = rss_mb()
del blocks[::2]
print(before - rss_mb())
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc mallopt is Linux-only")
def test_freed_blocks_leave_the_resident_set_only_with_the_fixed_threshold():
    def released(fixed: bool) -> float:
        code = SCRIPT.format(repo=str(REPO), fixed=fixed)
        return float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)

    assert released(True) > 120  # ~150 MB of 1 MB holes returned
    assert released(False) < 30  # the default keeps them in the heap
