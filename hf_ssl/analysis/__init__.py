"""Analyses that use trained models without training them: in-context learning, probes."""

from .in_context import PromptFormat, build_prompt, few_shot_accuracy, score_candidates
from .static_vectors import analogy, nearest_neighbours, word_vectors

__all__ = [
    "PromptFormat",
    "analogy",
    "build_prompt",
    "few_shot_accuracy",
    "nearest_neighbours",
    "score_candidates",
    "word_vectors",
]
