"""Evaluation metrics that work offline: plain functions, `evaluate` modules and Trainer hooks.

`load(name)` returns an `evaluate.Metric` without a Hub fetch; `compute_classification_metrics`
and `compute_tagging_metrics` build Trainer `compute_metrics` callbacks.
"""

from .modules import METRICS, load
from .scores import (
    GLUE_TASK_METRICS,
    accuracy,
    f1,
    glue_average,
    glue_scores,
    matthews_correlation,
    pearson,
    perplexity,
    rouge_scores,
    spearman,
    squad_scores,
)
from .tagging import compute_tagging_metrics, entity_scores, extract_entities
from .trainer import compute_classification_metrics, compute_lm_metrics, compute_span_metrics

__all__ = [
    "GLUE_TASK_METRICS",
    "METRICS",
    "accuracy",
    "compute_classification_metrics",
    "compute_lm_metrics",
    "compute_span_metrics",
    "compute_tagging_metrics",
    "entity_scores",
    "extract_entities",
    "f1",
    "glue_average",
    "glue_scores",
    "load",
    "matthews_correlation",
    "pearson",
    "perplexity",
    "rouge_scores",
    "spearman",
    "squad_scores",
]
