"""Input checks every model runs before touching an embedding table.

A bad id, dtype, shape or mask raises a ValueError (TypeError for a wrong type) naming the value and
what was expected, instead of an IndexError deep inside torch or, worse, a silent wrong result (a
mask of -1 read as a token, token_type_ids dropped by a model that has no segments).

Checks on shapes, dtypes and types read only metadata and always run. Checks on values (ids in
range, a 0/1 mask, all-zero segments) read tensor contents on the host, so they run in eager mode
only: see `value_checks_enabled`.

Shapes: b batch, t length, D width.
"""

from __future__ import annotations

from typing import Any

import torch

from ..tracing import value_checks_enabled as value_checks_enabled  # the models import it from here


def validate_input_ids(input_ids: Any, vocab_size: int, name: str = "input_ids") -> None:
    """Token ids: an integer tensor, not empty, every id in [0, vocab_size)."""
    if input_ids is None:
        return
    check_integer_tensor(name, input_ids, "token ids")
    if input_ids.numel() == 0:
        raise ValueError(f"{name} is empty (shape {tuple(input_ids.shape)}); expected at least one token")
    check_index_range(name, input_ids, vocab_size, "vocab_size", what="ids")


def check_integer_tensor(name: str, value: Any, what: str) -> None:
    """A tensor of integers: a list (a tokenizer without return_tensors="pt") or a float tensor would
    fail deep inside torch, or index with rounded values."""
    if not torch.is_tensor(value):
        raise TypeError(
            f"{name} is a {type(value).__name__}; expected a torch.Tensor of {what} "
            "(tokenizer(..., return_tensors='pt'))"
        )
    if value.dtype.is_floating_point or value.dtype.is_complex or value.dtype == torch.bool:
        raise TypeError(f"{name} has dtype {value.dtype}; expected {what} as integers (torch.long)")


def check_index_range(name: str, values: torch.Tensor, limit: int, field: str, what: str = "ids") -> None:
    """Every entry of `values` in [0, limit), where `field` is the config field that sets the limit."""
    if not value_checks_enabled():
        return
    low, high = int(values.min()), int(values.max())
    if low < 0 or high >= limit:
        bad = low if low < 0 else high
        raise ValueError(f"{name} contains {bad}; expected {what} in [0, {field}={limit})")


def check_sequence(
    name: str,
    ids: Any,
    embeds: Any,
    vocab_size: int,
    width: int | None = None,
    layout: str = "(batch, length)",
) -> tuple[int, int]:
    """Exactly one of ids (b, t) / embeds (b, t, D), ids inside the vocabulary and embeds `width`
    wide; returns (b, t)."""
    if (ids is None) == (embeds is None):
        raise ValueError(f"give exactly one of {name} or its inputs_embeds")
    if ids is not None:
        validate_input_ids(ids, vocab_size, name)
        if ids.dim() != 2:
            raise ValueError(f"{name} has shape {tuple(ids.shape)}; expected {layout}")
        return tuple(ids.shape)
    embeds_name = "inputs_embeds" if name == "input_ids" else f"{name.removesuffix('_ids')}_embeds"
    if not torch.is_tensor(embeds) or not embeds.dtype.is_floating_point:
        shown = embeds.dtype if torch.is_tensor(embeds) else type(embeds).__name__
        raise TypeError(f"{embeds_name} is {shown}; expected a float tensor (batch, length, width)")
    if embeds.dim() != 3 or (width is not None and embeds.shape[-1] != width):
        expected = f"(batch, length, {width})" if width is not None else "(batch, length, width)"
        raise ValueError(f"{embeds_name} has shape {tuple(embeds.shape)}; expected {expected}")
    return tuple(embeds.shape[:2])  # type: ignore[return-value]


def check_attention_mask(
    attention_mask: torch.Tensor | None,
    expected: tuple[int, int],
    name: str = "attention_mask",
    note: str = "",
) -> None:
    """A mask covers exactly the batch and the (cached plus new) tokens, with 1 for a token and 0 for
    padding: any other value (-1, 2) is refused, as torch would read it as a token."""
    if attention_mask is None:
        return
    if not torch.is_tensor(attention_mask):
        raise TypeError(f"{name} is a {type(attention_mask).__name__}; expected a torch.Tensor of 0 and 1")
    if tuple(attention_mask.shape) != tuple(expected):
        raise ValueError(f"{name} has shape {tuple(attention_mask.shape)}; expected {tuple(expected)}{note}")
    if attention_mask.dtype == torch.bool or not value_checks_enabled():
        return
    if bool(((attention_mask != 0) & (attention_mask != 1)).any()):
        bad = attention_mask[(attention_mask != 0) & (attention_mask != 1)][0].item()
        raise ValueError(f"{name} contains {bad}; expected 1 (token) or 0 (padding)")


def check_like(shape: tuple[int, int], **tensors: torch.Tensor | None) -> None:
    """Per-token inputs (token_type_ids, position_ids, ...) of the same (b, t) as input_ids."""
    for name, tensor in tensors.items():
        if tensor is not None and tuple(tensor.shape) != tuple(shape):
            raise ValueError(
                f"{name} has shape {tuple(tensor.shape)}; expected {tuple(shape)} like input_ids"
            )


def check_length(length: int, max_positions: int, cached: int = 0) -> None:
    """A learned position table has max_positions rows; a longer sequence would index past it."""
    if cached + length > max_positions:
        counted = f" ({cached} cached + {length} new)" if cached else ""
        raise ValueError(
            f"sequence length {cached + length}{counted} exceeds max_position_embeddings={max_positions}; "
            f"truncate the input{' or generate fewer tokens' if cached else ''}"
        )


def check_position_ids(
    position_ids: torch.Tensor | None, max_positions: int, name: str = "position_ids"
) -> None:
    """Positions inside the learned position table."""
    if position_ids is not None:
        check_integer_tensor(name, position_ids, "positions")
        check_index_range(name, position_ids, max_positions, "max_position_embeddings", "positions")


def check_token_type_ids(token_type_ids: torch.Tensor | None, type_vocab_size: int, model: str) -> None:
    """Segment ids inside the segment table; a model without one accepts only all-zero token_type_ids
    (tokenizers return them), never ignores real segments silently."""
    if token_type_ids is None:
        return
    check_integer_tensor("token_type_ids", token_type_ids, "segment ids")
    if type_vocab_size == 0:
        if value_checks_enabled() and bool(token_type_ids.any()):
            raise ValueError(
                f"{model} has no segment embeddings; token_type_ids must be all 0, got "
                f"{int(token_type_ids.abs().max())}"
            )
        return
    check_index_range("token_type_ids", token_type_ids, type_vocab_size, "type_vocab_size", "segment ids")


def check_unused_inputs(model: str, kwargs: dict[str, Any], *, positions: bool = False) -> None:
    """Inputs a family's forward takes only through **kwargs (transformers passes extra keys there):
    token_type_ids must be all 0 (it has no segments), and position_ids are refused where the model has
    no positions (a packed batch would mix its documents)."""
    check_token_type_ids(kwargs.get("token_type_ids"), 0, model)
    if not positions and kwargs.get("position_ids") is not None:
        raise ValueError(f"{model} has no positions; position_ids (packed rows) are not supported")
