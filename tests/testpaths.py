"""Paths the tests share. A module of its own: `from conftest import ...` is ambiguous once
sub-folders have their own conftest.py."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"  # peer data beside the checkout; tests skip without it
