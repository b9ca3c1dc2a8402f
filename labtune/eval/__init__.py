"""Evaluation: knowledge accuracy on questions, forgetting on general chat, comparison tables."""

from labtune.eval.evaluate import QuestionResult, accuracy, evaluate_questions
from labtune.eval.questions import Question, load_questions
from labtune.eval.scoring import score

__all__ = ["Question", "QuestionResult", "accuracy", "evaluate_questions", "load_questions", "score"]
