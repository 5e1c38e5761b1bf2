"""Analyses that use trained models without training them: in-context learning, probes."""

from .contextual_similarity import (
    layer_means,
    nearest_neighbour_accuracy,
    plot_similarity,
    sense_gap,
    similarity_matrix,
    static_target_vectors,
    target_vectors,
)
from .in_context import PromptFormat, build_prompt, few_shot_accuracy, score_candidates
from .static_vectors import analogy, nearest_neighbours, word_vectors

__all__ = [
    "PromptFormat",
    "analogy",
    "build_prompt",
    "few_shot_accuracy",
    "layer_means",
    "nearest_neighbour_accuracy",
    "nearest_neighbours",
    "plot_similarity",
    "score_candidates",
    "sense_gap",
    "similarity_matrix",
    "static_target_vectors",
    "target_vectors",
    "word_vectors",
]
