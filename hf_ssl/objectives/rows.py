"""Reading and checking the token rows every collator starts from, and padding them into a batch.

The encoder-decoder keys follow transformers: ``labels`` padded with IGNORE_INDEX and
``decoder_input_ids`` = labels shifted right behind ``decoder_start_token_id``
(``decoder_batch``), as transformers' ``shift_tokens_right`` builds them.

Reading rows into int64 arrays is the first step of every collator and often its slowest.

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
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from hf_ssl.constants import IGNORE_INDEX

__all__ = [
    "Rows",
    "as_id_list",
    "check_int",
    "check_mask_values",
    "check_rate",
    "decoder_batch",
    "empty_row_error",
    "key_rows",
    "mask_value_error",
    "pad_rows",
    "pad_rows_numpy",
    "read_document",
    "read_documents",
    "replacement_ids",
    "round_up",
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


def check_int(name: str, value: Any, *, low: int = 0, high: int | None = None) -> int:
    """An int in [low, high) (bools refused): the check every token id and size goes through."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or value < low
        or (high is not None and value >= high)
    ):
        allowed = f"[{low}, {high})" if high is not None else f">= {low}"
        raise ValueError(f"{name} must be an int {allowed}, got {value!r}")
    return value


def check_rate(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be a number in [0, 1], got {value!r}")
    return float(value)


def as_id_list(row: Any, index: int, key: str = "input_ids") -> list[int]:
    """One example's ids as a list of ints: a list, tuple or 1-D tensor."""
    if isinstance(row, torch.Tensor):
        if row.dim() != 1:
            raise ValueError(f"feature {index} {key!r} must be 1-D, got shape {tuple(row.shape)}")
        row = row.tolist()
    if isinstance(row, str | bytes) or not isinstance(row, Sequence):
        raise TypeError(
            f"feature {index} {key!r} must be a list of ints or a 1-D tensor, got {type(row).__name__}"
        )
    row = list(row)
    if set(map(type, row)) - {int}:  # one C-level pass; the loop only names the culprit
        for token in row:
            if isinstance(token, bool) or not isinstance(token, int):
                raise TypeError(f"feature {index} {key!r} must hold ints only, got {token!r}")
    return row


def read_document(feature: Any, index: int) -> list[int]:
    """One feature's ``input_ids`` (a mapping such as a dict or a tokenizer's BatchEncoding, a list or
    a tensor), trimmed to its ``attention_mask`` of 0/1 (so left or right padding is dropped alike); a
    feature left with no tokens is refused."""
    if isinstance(feature, Mapping):
        if "input_ids" not in feature:
            raise ValueError(f"feature {index} has no 'input_ids' (keys: {sorted(feature)})")
        ids = as_id_list(feature["input_ids"], index)
        mask = feature.get("attention_mask")
        if mask is not None:
            mask = as_id_list(mask, index, "attention_mask")
            if len(mask) != len(ids):
                raise ValueError(f"feature {index} has {len(mask)} attention_mask for {len(ids)} input_ids")
            if not set(mask) <= {0, 1}:
                position = next(i for i, value in enumerate(mask) if value not in (0, 1))
                raise mask_value_error(index, position, mask[position])
            ids = [token for token, keep in zip(ids, mask, strict=True) if keep]
    else:
        ids = as_id_list(feature, index)
    if not ids:
        raise empty_row_error(index)
    return ids


def read_documents(features: Any) -> list[list[int]]:
    """``read_document`` of every feature of a non-empty batch."""
    if isinstance(features, dict) or not isinstance(features, Sequence) or len(features) == 0:
        raise ValueError(f"features must be a non-empty list of examples, got {features!r:.80}")
    return [read_document(feature, index) for index, feature in enumerate(features)]


def round_up(length: int, multiple: int | None) -> int:
    return length if multiple is None else -(-length // multiple) * multiple


def pad_rows(
    rows: Sequence[Sequence[int]], pad_value: int, length: int | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-pad rows into a (b, t) LongTensor; also return the (b, t) mask of real positions."""
    lengths = row_lengths(list(rows))  # (b,)
    width = max(lengths) if length is None else length
    if width < max(lengths):
        raise ValueError(f"a row of {max(lengths)} tokens is longer than the pad length {width}")
    valid = np.arange(width) < np.array(lengths)[:, None]  # (b, t)
    padded = pad_rows_numpy(list(rows), width, None if min(lengths) == width else valid, pad_value, "tokens")
    return torch.from_numpy(padded), torch.from_numpy(valid)


def decoder_batch(
    targets: Sequence[Sequence[int]],
    *,
    pad_token_id: int,
    decoder_start_token_id: int,
    length: int | None = None,
) -> dict[str, torch.Tensor]:
    """labels (IGNORE_INDEX on padding), decoder_input_ids (shifted right), decoder_attention_mask."""
    labels, valid = pad_rows(targets, IGNORE_INDEX, length)  # (b, t)
    decoder_input_ids = torch.full_like(labels, pad_token_id)  # (b, t)
    decoder_input_ids[:, 1:] = labels[:, :-1]
    decoder_input_ids[:, 0] = decoder_start_token_id
    decoder_input_ids = decoder_input_ids.masked_fill(~valid, pad_token_id)
    return {
        "labels": labels,
        "decoder_input_ids": decoder_input_ids,
        "decoder_attention_mask": valid.long(),
    }


def replacement_ids(vocab_size: int, special_ids: Sequence[int]) -> torch.Tensor:
    """Ids a random replacement may draw: the vocabulary without its special tokens."""
    special = set(special_ids)
    return torch.tensor([i for i in range(vocab_size) if i not in special], dtype=torch.long)
