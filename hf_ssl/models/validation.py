"""Input checks every model runs before touching an embedding table: a bad id, shape or mask raises
a ValueError naming the value and what was expected, instead of an IndexError deep inside torch.

Shapes: b batch, t length, D width.
"""

from __future__ import annotations

import torch


def validate_input_ids(input_ids: torch.Tensor | None, vocab_size: int) -> None:
    """Token ids must lie in [0, vocab_size): otherwise the embedding lookup fails deep inside torch."""
    if input_ids is None:
        return
    if input_ids.numel() == 0:
        raise ValueError(f"input_ids is empty (shape {tuple(input_ids.shape)}); expected at least one token")
    low, high = int(input_ids.min()), int(input_ids.max())
    if low < 0 or high >= vocab_size:
        bad = low if low < 0 else high
        raise ValueError(f"input_ids contains {bad}; expected ids in [0, vocab_size={vocab_size})")


def check_sequence(
    name: str, ids: torch.Tensor | None, embeds: torch.Tensor | None, vocab_size: int
) -> tuple[int, int]:
    """Exactly one of ids (b, t) / embeds (b, t, D), ids inside the vocabulary; returns (b, t)."""
    if (ids is None) == (embeds is None):
        raise ValueError(f"give exactly one of {name} or its inputs_embeds")
    validate_input_ids(ids, vocab_size)
    shape = tuple(ids.shape) if ids is not None else tuple(embeds.shape[:2])  # type: ignore[union-attr]
    if ids is not None and ids.dim() != 2:
        raise ValueError(f"{name} has shape {tuple(ids.shape)}; expected (batch, length)")
    return shape  # type: ignore[return-value]


def check_attention_mask(
    attention_mask: torch.Tensor | None, expected: tuple[int, int], name: str = "attention_mask"
) -> None:
    """A mask must cover exactly the batch and the (cached plus new) tokens."""
    if attention_mask is not None and tuple(attention_mask.shape) != tuple(expected):
        raise ValueError(f"{name} has shape {tuple(attention_mask.shape)}; expected {tuple(expected)}")
