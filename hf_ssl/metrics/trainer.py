"""Trainer `compute_metrics` callbacks per head: sequence classification, extractive QA, masked or
causal LM (tagging lives in tagging.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..constants import IGNORE_INDEX
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


def compute_span_metrics() -> Callable[[Any], dict[str, float]]:
    """Extractive QA heads: exact match of the (start, end) argmax against the gold positions, and the
    token-overlap F1 of the predicted and gold spans (SQuAD's F1 on token positions). A predicted end
    before its start counts as the empty span."""

    def compute(evaluation: Any) -> dict[str, float]:
        start_logits, end_logits = (np.asarray(x) for x in evaluation.predictions[:2])
        gold_start, gold_end = (np.asarray(x).reshape(-1) for x in evaluation.label_ids[:2])
        start, end = start_logits.argmax(-1), end_logits.argmax(-1)
        exact = (start == gold_start) & (end == gold_end)
        overlap = np.clip(np.minimum(end, gold_end) - np.maximum(start, gold_start) + 1, 0, None)
        predicted = np.clip(end - start + 1, 0, None)
        gold = gold_end - gold_start + 1
        precision = np.divide(overlap, predicted, out=np.zeros(len(overlap)), where=predicted > 0)
        recall = overlap / gold
        f1 = np.divide(
            2 * precision * recall,
            precision + recall,
            out=np.zeros(len(overlap)),
            where=precision + recall > 0,
        )
        return {"exact_match": 100 * float(exact.mean()), "f1": 100 * float(f1.mean())}

    return compute


def compute_lm_metrics(shifted: bool = False) -> Callable[[Any], dict[str, float]]:
    """Masked or causal LM heads: accuracy of the argmax at labelled positions (`shifted=True` for
    causal LMs, whose position i predicts label i + 1). Perplexity comes from Trainer's eval_loss:
    `hf_ssl.metrics.perplexity(metrics["eval_loss"])`."""

    def compute(evaluation: Any) -> dict[str, float]:
        logits = (
            evaluation.predictions[0] if isinstance(evaluation.predictions, tuple) else evaluation.predictions
        )
        predictions, labels = np.asarray(logits).argmax(-1), np.asarray(evaluation.label_ids)
        if shifted:
            predictions, labels = predictions[:, :-1], labels[:, 1:]
        labelled = labels != IGNORE_INDEX
        if not labelled.any():
            raise ValueError("no labelled position to score")
        return {"token_accuracy": float((predictions == labels)[labelled].mean())}

    return compute
