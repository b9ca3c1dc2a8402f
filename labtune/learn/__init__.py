"""`labtune learn`: a folder of meeting notes -> a tuned model that answers questions about them.

    learned = learn(Path("notes"), Path("runs/lab"), questions_file=Path("qa.jsonl"))
    learned.report["self_check"]["accuracy"]     # held-out questions, per kind and overall

The recipe is configuration (labtune/recipes/notes.yaml, `load_recipe`); the data it makes comes
from labtune.data.notes.synthesize; training is labtune.train's loop with an early stop on the
held-out check (check.py).
"""

from labtune.learn.pipeline import Learned, learn
from labtune.learn.recipe import Recipe, load_recipe, recipe_yaml

__all__ = ["Learned", "Recipe", "learn", "load_recipe", "recipe_yaml"]
