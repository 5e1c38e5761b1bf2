"""Analyses of trained models and of training: in-context learning, static vectors, embryology,
contextual similarity, language-shift vectors and scalar-mix weights."""

from .contextual_similarity import (
    layer_means,
    nearest_neighbour_accuracy,
    plot_similarity,
    sense_gap,
    similarity_matrix,
    static_target_vectors,
    target_vectors,
)
from .embryology import MaskedTokenAccuracyCallback, frequency_bands, grouped_accuracy
from .in_context import PromptFormat, build_prompt, few_shot_accuracy, score_candidates
from .language_shift import apply_shift, language_shift_vector, retrieval_accuracy, shift_retrieval
from .scalar_mix import format_scalar_mix_weights, scalar_mix_weights
from .static_vectors import analogy, nearest_neighbours, word_vectors

__all__ = [
    "MaskedTokenAccuracyCallback",
    "PromptFormat",
    "analogy",
    "apply_shift",
    "build_prompt",
    "few_shot_accuracy",
    "format_scalar_mix_weights",
    "frequency_bands",
    "grouped_accuracy",
    "language_shift_vector",
    "layer_means",
    "nearest_neighbour_accuracy",
    "nearest_neighbours",
    "plot_similarity",
    "retrieval_accuracy",
    "scalar_mix_weights",
    "score_candidates",
    "sense_gap",
    "shift_retrieval",
    "similarity_matrix",
    "static_target_vectors",
    "target_vectors",
    "word_vectors",
]
