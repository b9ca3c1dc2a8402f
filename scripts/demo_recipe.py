"""Try a variant of the demo recipe: the demo itself (labtune.demo.run_demo) with Recipe fields overridden.

    python scripts/demo_recipe.py /tmp/try1 '{"num_train_epochs": 3, "summaries": 6}'

Prints JSON: accuracy before/after on the 39 sample questions, the primary-colours answer, the
seconds of each phase and the questions missed. The README's notes section records the variants tried.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from rich.console import Console

from labtune.demo import Recipe, run_demo


def main() -> None:
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    overrides = json.loads(sys.argv[2])
    result = run_demo(Path(sys.argv[1]), recipe=Recipe(**overrides), console=Console(stderr=True))
    print(json.dumps({"recipe": overrides, "before": result.accuracy_before, "after": result.accuracy_after,
                      "probe_after": result.probe_after, "seconds": result.seconds,
                      "wrong": [(r.question, r.answer) for r in result.after if not r.correct]}, indent=1))


if __name__ == "__main__":
    main()
