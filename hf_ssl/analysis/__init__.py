"""Analyses of trained models and of training: in-context learning, static vectors, embryology."""

from .embryology import MaskedTokenAccuracyCallback, frequency_bands, grouped_accuracy
from .in_context import PromptFormat, build_prompt, few_shot_accuracy, score_candidates
from .static_vectors import analogy, nearest_neighbours, word_vectors

__all__ = [
    "MaskedTokenAccuracyCallback",
    "PromptFormat",
    "analogy",
    "build_prompt",
    "few_shot_accuracy",
    "frequency_bands",
    "grouped_accuracy",
    "nearest_neighbours",
    "score_candidates",
    "word_vectors",
]
