"""The package's shape as a contract: layers (import-linter, pyproject.toml), private names, module size."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from testpaths import REPO

PACKAGE = REPO / "labtune"
MAX_LINES = 300
# Modules allowed past MAX_LINES, each with its reason.
LONG_MODULES: dict[str, str] = {
    "labtune/data/notes/lines.py": "one pass over a meeting's lines: the walker's states read best together",
    "labtune/data/notes/synthesize.py": "every conversation kind of the notes recipe; splits with the fact-based synthesizer",
}


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def dotted(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_layers_contract_holds():
    pytest.importorskip("importlinter")
    from importlinter.cli import lint_imports

    assert lint_imports(config_filename=str(REPO / "pyproject.toml")) == 0, "run `lint-imports` to see the import"


def test_no_private_name_is_imported_from_another_package():
    crossings = []
    for path in modules():
        importer = dotted(path)
        importer_package = importer if path.name == "__init__.py" else importer.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ImportFrom) or not (node.module or "").startswith("labtune"):
                continue
            source = PACKAGE.parent / Path(*node.module.split("."))
            source_package = node.module if source.is_dir() else node.module.rpartition(".")[0]
            for alias in node.names:
                if alias.name.startswith("_") and source_package != importer_package:
                    crossings.append(f"{path.relative_to(REPO)}:{node.lineno} imports {node.module}.{alias.name}")
    assert not crossings, crossings


def test_modules_stay_short():
    long = {str(p.relative_to(REPO)): n for p in modules()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    unexplained = {path: n for path, n in long.items() if path not in LONG_MODULES}
    assert not unexplained, f"split these modules or give the reason in LONG_MODULES: {unexplained}"


def test_test_modules_have_unique_names():
    """pytest imports test modules by their base name (no __init__.py in tests/), so two test files of
    one name in different folders stop the whole run at collection."""
    from collections import Counter

    tests = Path(__file__).resolve().parent
    names = Counter(p.name for p in tests.rglob("*.py") if p.name != "conftest.py")
    assert not [name for name, n in names.items() if n > 1]
