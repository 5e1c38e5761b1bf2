"""Language-shift vectors: the mean difference between two languages' embeddings, and what it buys.

The lecture's observation on multilingual encoders (Libovický, Rosa and Fraser 2019, "How
language-neutral is multilingual BERT?", from memory): sentence or word embeddings of one language
sit around their own centroid, so a nearest-neighbour search for a translation lands in the wrong
language region. Subtracting each language's mean (or adding the mean difference, the "language
shift", to the source side) removes that offset and makes translation retrieval work better.

Shapes: n paired rows, d dimensions. Fit the shift on pairs other than those you evaluate on.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

__all__ = ["apply_shift", "language_shift_vector", "retrieval_accuracy", "shift_retrieval"]


def _matrix(name: str, value: Any) -> torch.Tensor:
    tensor = (
        torch.as_tensor(value, dtype=torch.float64) if not isinstance(value, torch.Tensor) else value.double()
    )
    if tensor.dim() != 2 or tensor.shape[0] == 0:
        raise ValueError(
            f"{name} must be a non-empty 2-D (rows, dims) array, got shape {tuple(tensor.shape)}"
        )
    return tensor


def language_shift_vector(source: Any, target: Any) -> torch.Tensor:
    """mean(target) - mean(source), (d,): add it to source-language embeddings to move them over."""
    source, target = _matrix("source", source), _matrix("target", target)
    if source.shape[1] != target.shape[1]:
        raise ValueError(f"source has {source.shape[1]} dims but target has {target.shape[1]}")
    return target.mean(dim=0) - source.mean(dim=0)


def apply_shift(embeddings: Any, vector: Any) -> torch.Tensor:
    """embeddings (n, d) + vector (d,)."""
    embeddings = _matrix("embeddings", embeddings)
    vector = torch.as_tensor(vector, dtype=torch.float64)
    if vector.shape != (embeddings.shape[1],):
        raise ValueError(f"vector has shape {tuple(vector.shape)}; expected ({embeddings.shape[1]},)")
    return embeddings + vector


def retrieval_accuracy(queries: Any, candidates: Any) -> float:
    """Top-1 accuracy of cosine nearest-neighbour retrieval where row i's answer is candidate row i."""
    queries, candidates = _matrix("queries", queries), _matrix("candidates", candidates)
    if queries.shape != candidates.shape:
        raise ValueError(
            f"queries {tuple(queries.shape)} and candidates {tuple(candidates.shape)} must be paired row by row"
        )
    q = torch.nn.functional.normalize(queries, dim=1)
    c = torch.nn.functional.normalize(candidates, dim=1)
    best = (q @ c.T).argmax(dim=1)  # (n,)
    return float((best == torch.arange(len(best))).double().mean())


def shift_retrieval(source_fit: Any, target_fit: Any, source_test: Any, target_test: Any) -> dict[str, Any]:
    """Translation retrieval on held-out pairs before and after the shift fitted on other pairs."""
    vector = language_shift_vector(source_fit, target_fit)
    return {
        "before": retrieval_accuracy(source_test, target_test),
        "after": retrieval_accuracy(apply_shift(source_test, vector), target_test),
        "shift_norm": float(vector.norm()),
        "vector": np.asarray(vector.tolist()),
    }
