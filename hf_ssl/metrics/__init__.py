"""Evaluation metrics that work offline."""

from .tagging import compute_tagging_metrics, entity_scores, extract_entities

__all__ = ["compute_tagging_metrics", "entity_scores", "extract_entities"]
