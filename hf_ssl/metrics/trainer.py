"""Trainer `compute_metrics` callbacks for sequence-level heads (tagging lives in tagging.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import scores


def compute_classification_metrics(task: str | None = None) -> Callable[[Any], dict[str, float]]:
    """Accuracy and macro F1 from (b, c) logits, or a GLUE task's own metrics (`task="mrpc"`, ...).

    Regression heads (one output, STS-B) are scored by Pearson and Spearman on the raw outputs.
    """
    if task is not None and task not in scores.GLUE_TASK_METRICS:
        raise ValueError(f"unknown GLUE task {task!r}; expected one of {sorted(scores.GLUE_TASK_METRICS)}")

    def compute(evaluation: Any) -> dict[str, float]:
        logits = (
            evaluation.predictions[0] if isinstance(evaluation.predictions, tuple) else evaluation.predictions
        )
        logits, labels = np.asarray(logits), np.asarray(evaluation.label_ids)
        if logits.ndim == 1 or (logits.ndim == 2 and logits.shape[1] == 1):
            predictions = logits.reshape(-1)
            if task is None:
                return {
                    "pearson": scores.pearson(predictions, labels),
                    "spearmanr": scores.spearman(predictions, labels),
                }
        else:
            predictions = logits.argmax(-1)
        if task is not None:
            return scores.glue_scores(task, predictions, labels)
        return {
            "accuracy": scores.accuracy(predictions, labels),
            "f1_macro": scores.f1(predictions, labels, average="macro"),
        }

    return compute
