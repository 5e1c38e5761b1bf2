"""Reading token rows into int64 arrays, the first step of every collator and often its slowest.

Rows come as Python lists of ints (a tokenizer's output) or 1-D integer tensors (a ``datasets``
split in torch format), a batch possibly mixing both. Lists are packed by ``struct``, one
precompiled format per row length: 9 ns an int, against 19 for ``numpy.fromiter`` and 150 for
``torch.tensor`` (measured on this project's machines); a value that is not an int64 integer is
named with its feature and position.

Shapes: b = batch size, t = padded length.
"""

from __future__ import annotations

import functools
import operator
import struct
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

__all__ = [
    "Rows",
    "check_mask_values",
    "empty_row_error",
    "key_rows",
    "mask_value_error",
    "pad_rows_numpy",
    "refuse_empty_rows",
    "row_lengths",
]

# One key's rows: lists of ints or 1-D integer tensors (a batch may mix them).
Rows = list[Any]


def _row_values(row: Any, key: str, index: int) -> list | torch.Tensor:
    """A row as given: a list, or a 1-D integer tensor kept as is (stacked later without a trip
    through Python ints; a tensor of ``word_ids`` marks tokens in no word with -1); other sequences
    become lists."""
    if type(row) is list:
        return row
    if isinstance(row, torch.Tensor):  # its dtype is checked once, on the batch (`_pad`)
        if row.dim() != 1:
            raise ValueError(f"feature {index} {key!r} must be 1-D, got shape {tuple(row.shape)}")
        return row
    if isinstance(row, str | bytes) or not isinstance(row, Sequence):
        raise TypeError(f"feature {index} {key!r} must be a list of ints or a 1-D tensor, got {type(row)}")
    return list(row)


def key_rows(values: list[Any], key: str) -> Rows:
    """``_row_values`` for every row of one key, with one type scan for the usual all-lists or
    all-1-D-tensors batch instead of a Python call per row."""
    kinds = set(map(type, values))
    if kinds == {list} or (kinds == {torch.Tensor} and set(map(torch.Tensor.dim, values)) == {1}):
        return values
    return [_row_values(row, key, i) for i, row in enumerate(values)]


def row_lengths(rows: Rows) -> list[int]:
    kinds = set(map(type, rows))
    if kinds == {list}:
        return list(map(len, rows))
    if kinds == {torch.Tensor} and set(map(torch.Tensor.dim, rows)) == {1}:
        return list(map(torch.Tensor.numel, rows))  # a C call a row; len() runs Python-level torch code
    # Mixed rows: a tensor's shape is cheaper than its len().
    return [row.shape[0] if type(row) is torch.Tensor else len(row) for row in rows]


def _describe_bad_int(rows: Rows, key: str) -> str:
    """The error for rows that struct could not pack: the first value that is not an int64 integer."""
    for index, row in enumerate(rows):
        for position, value in enumerate(row):
            try:
                as_int = operator.index(value)
            except TypeError:
                return f"feature {index} {key!r}[{position}] is {value!r}; {key!r} must hold integers only"
            if not -(2**63) <= as_int < 2**63:
                return f"feature {index} {key!r}[{position}] is {value!r}, outside the int64 range"
    return f"{key!r} must hold int64 integers only"


@functools.cache
def _int64_row_format(length: int) -> struct.Struct:
    """A native-order int64 ``struct`` format for a row of ``length`` ints (one per distinct length)."""
    return struct.Struct(f"={length}q")


def pad_rows_numpy(
    rows: Rows,
    length: int,
    valid: np.ndarray | None,
    pad_value: int,
    key: str,
) -> np.ndarray:
    """Right-pad ``rows`` into a (b, length) int64 array from one flat buffer.

    Tensor rows are concatenated as they are. List rows are packed by ``struct``, one precompiled
    format per row length: 9 ns an int, against 19 for ``numpy.fromiter`` and 150 for
    ``torch.tensor``; that conversion is the largest part of a collator's time on list inputs.
    ``valid=None`` means every row is ``length`` long already: no padding to place.
    """
    kinds = set(map(type, rows))
    if kinds == {torch.Tensor}:
        stacked = torch.stack(rows) if valid is None else torch.cat(rows)  # (b, t) or (sum of lengths,)
        if stacked.is_floating_point() or stacked.is_complex() or stacked.dtype == torch.bool:
            raise TypeError(f"{key!r} must hold integers, got tensors of dtype {stacked.dtype}")
        flat = stacked.cpu().numpy().astype(np.int64, copy=False)
        if valid is None:
            return flat
    else:
        if kinds != {list}:
            rows = [row.tolist() if isinstance(row, torch.Tensor) else row for row in rows]
        try:
            if valid is None:  # one length: one format, no per-row cache lookup
                pack = _int64_row_format(length).pack
                packed = [pack(*row) for row in rows]
            else:
                packed = [_int64_row_format(len(row)).pack(*row) for row in rows]
            buffer = bytearray().join(packed)
        except struct.error as error:
            raise TypeError(_describe_bad_int(rows, key)) from error
        flat = np.frombuffer(buffer, dtype=np.int64)  # (sum of lengths,), writable
        if valid is None:
            return flat.reshape(len(rows), length)  # (b, t)
    padded = np.full((len(rows), length), pad_value, dtype=np.int64)  # (b, t)
    padded[valid] = flat
    return padded


def empty_row_error(index: int) -> ValueError:
    """Every collator treats a feature without tokens the same way: it is named, not turned into a row
    of padding that trains on nothing (or a malformed sequence-to-sequence example)."""
    return ValueError(
        f"feature {index} has no tokens; drop empty examples before batching "
        "(dataset.filter(lambda example: len(example['input_ids']) > 0))"
    )


def refuse_empty_rows(lengths: Sequence[int]) -> None:
    if lengths and min(lengths) == 0:
        raise empty_row_error(list(lengths).index(0))


def mask_value_error(index: int, position: int, value: int, key: str = "attention_mask") -> ValueError:
    return ValueError(
        f"feature {index}: {key}[{position}] = {value}; expected 0 (padding) or 1 (a real token)"
    )


def check_mask_values(mask: np.ndarray, key: str = "attention_mask") -> None:
    """A (b, t) mask of 0 (padding) and 1 (a real token): -1 or 2 would otherwise be read as a token."""
    bad = (mask != 0) & (mask != 1)  # (b, t)
    if bad.any():
        row, column = (int(i[0]) for i in np.nonzero(bad))
        raise mask_value_error(row, column, int(mask[row, column]), key)
