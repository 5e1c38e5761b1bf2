"""Losses that stay exact under Trainer's gradient accumulation.

When `forward` takes `**kwargs`, Trainer passes `num_items_in_batch` (the number of labels != -100 in
the whole accumulated batch) and stops dividing the loss by the accumulation steps; a model that
returned a per-micro-batch mean would then train with k-times the loss.
Every loss here therefore sums and divides by `num_items_in_batch` when it is given, and takes the
mean otherwise (Trainer then divides by the accumulation steps itself).

Shapes: n items (tokens or sequences), c classes.
"""

from __future__ import annotations

from typing import Any, Literal

import torch
from torch.nn import functional as F

from ..constants import IGNORE_INDEX
from ..tracing import value_checks_enabled


def _normalise(total: torch.Tensor, count: torch.Tensor | int, num_items_in_batch: Any) -> torch.Tensor:
    if num_items_in_batch is not None:
        if torch.is_tensor(num_items_in_batch):
            num_items_in_batch = num_items_in_batch.to(total.device)
        return total / num_items_in_batch
    return total / count if (not torch.is_tensor(count) or count.numel() == 1) else total / count.sum()


def check_label_shape(
    labels: torch.Tensor, expected: tuple[int, ...] | torch.Size, name: str = "labels"
) -> None:
    """One label per prediction: a mismatch would fail deep inside torch (or, worse, broadcast)."""
    if tuple(labels.shape) != tuple(expected):
        raise ValueError(
            f"{name} has shape {tuple(labels.shape)}; expected {tuple(expected)} (one label per prediction)"
        )


def check_label_values(labels: torch.Tensor, num_classes: int, name: str = "labels") -> None:
    """Class ids in [0, num_classes), or IGNORE_INDEX: torch would fail with "Target out of bounds"."""
    if labels.dtype.is_floating_point or labels.dtype == torch.bool:
        raise TypeError(f"{name} has dtype {labels.dtype}; expected class ids as integers (torch.long)")
    if not value_checks_enabled():  # tracing: no host read of the labels (models/validation.py)
        return
    bad = labels[(labels != IGNORE_INDEX) & ((labels < 0) | (labels >= num_classes))]
    if bad.numel():
        raise ValueError(
            f"{name} contains {int(bad[0])}; expected class ids in [0, {num_classes}) or {IGNORE_INDEX} (ignored)"
        )


def select_labelled(
    hidden: torch.Tensor, labels: torch.Tensor, training: bool
) -> tuple[torch.Tensor, torch.Tensor]:
    """hidden (..., D) with one label per position (...): in training only the labelled positions,
    (n, D) and (n,), so the vocabulary projection skips the rest; otherwise both unchanged."""
    check_label_shape(labels, hidden.shape[:-1])
    if not training:
        return hidden, labels
    selected = labels.ne(IGNORE_INDEX)  # (...)
    return hidden[selected], labels[selected]


def cross_entropy(logits: torch.Tensor, labels: torch.Tensor, num_items_in_batch: Any = None) -> torch.Tensor:
    """Cross-entropy over logits (..., c) and labels (...), skipping IGNORE_INDEX, in fp32."""
    check_label_shape(labels, logits.shape[:-1])
    check_label_values(labels, logits.shape[-1])
    logits = logits.reshape(-1, logits.shape[-1]).float()  # (n, c)
    labels = labels.reshape(-1).to(logits.device)  # (n,)
    total = F.cross_entropy(logits, labels, ignore_index=IGNORE_INDEX, reduction="sum")
    count = labels.ne(IGNORE_INDEX).sum().clamp(min=1)
    return _normalise(total, count, num_items_in_batch)


ProblemType = Literal["regression", "single_label_classification", "multi_label_classification"]


def sequence_classification_loss(
    logits: torch.Tensor,
    labels: torch.Tensor,
    problem_type: str | None,
    num_items_in_batch: Any = None,
) -> tuple[torch.Tensor, ProblemType]:
    """Loss for (b, c) logits, choosing the problem type as transformers does when it is unset.

    Returns the loss and the problem type used (the model stores it in its config, like transformers).
    """
    num_labels = logits.shape[-1]
    if problem_type is None:
        if num_labels == 1:
            problem_type = "regression"
        elif labels.dtype in (torch.long, torch.int):
            problem_type = "single_label_classification"
        else:
            problem_type = "multi_label_classification"
    if problem_type == "regression":
        predictions = logits.squeeze(-1) if num_labels == 1 else logits
        total = F.mse_loss(predictions.float(), labels.to(predictions.dtype).float(), reduction="sum")
        return _normalise(total, labels.shape[0], num_items_in_batch), "regression"
    if problem_type == "single_label_classification":
        return cross_entropy(logits, labels, num_items_in_batch), "single_label_classification"
    if problem_type == "multi_label_classification":
        total = (
            F.binary_cross_entropy_with_logits(logits.float(), labels.float(), reduction="sum") / num_labels
        )
        return _normalise(total, labels.shape[0], num_items_in_batch), "multi_label_classification"
    raise ValueError(
        f"problem_type={problem_type!r}; expected 'regression', 'single_label_classification' "
        "or 'multi_label_classification'"
    )


def span_loss(
    start_logits: torch.Tensor,
    end_logits: torch.Tensor,
    start_positions: torch.Tensor,
    end_positions: torch.Tensor,
) -> torch.Tensor:
    """Extractive QA: mean of start and end cross-entropies; positions outside the input are ignored.

    start/end_logits (b, t); positions (b,). As BERT's run_squad and transformers: a position beyond
    the sequence (the answer was truncated away) is clamped to t and skipped.
    """
    length = start_logits.shape[1]
    start = start_positions.reshape(-1).clamp(0, length)
    end = end_positions.reshape(-1).clamp(0, length)
    start_loss = F.cross_entropy(start_logits.float(), start, ignore_index=length)
    end_loss = F.cross_entropy(end_logits.float(), end, ignore_index=length)
    return (start_loss + end_loss) / 2
