"""Padding-free batches: pack the rows of any padded batch into full rows, documents kept apart.

Real text has ragged lengths: padding a batch of paragraphs to its longest one wastes about half
the compute (measured on the embedded corpus). `PackingCollator` wraps any collator (MLM, sentence
pairs, causal LM): it runs it, strips each row's padding, and lays the rows end to end into rows of
`row_length` tokens (first fit, in order), with `position_ids` restarting at every document. hf_ssl's
models read restarting positions as a block-diagonal attention mask, so no token sees another
document and every per-token output equals the padded path's (tested).

Shapes: b input rows, t padded length, r packed rows, L row_length.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from hf_ssl.constants import IGNORE_INDEX
from hf_ssl.objectives.tokenizer_fields import accepts_tokenizer, pad_or_eos_id

__all__ = ["PackingCollator", "Seq2SeqPackingCollator", "pack_batch", "pack_seq2seq_batch"]

# Token-aligned keys packed along with input_ids, and the value that pads each.
# Keys packed per token (attention_mask is rebuilt from the packing).
_TOKEN_KEYS = ("input_ids", "labels", "token_type_ids")


def _first_fit(lengths: Sequence[Sequence[int]], capacities: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """Place documents in order, each into the first row with room on every side (first fit).

    lengths: per side, the (b,) document lengths; capacities: per side, a row's width. Returns
    (row of each document (b,), start column of each document on each side (sides, b)).
    """
    rows_of: list[int] = []
    starts: list[list[int]] = [[] for _ in capacities]
    room: list[list[int]] = []  # per packed row, the columns still free on each side
    for sizes in zip(*lengths, strict=True):
        slot = next((r for r, free in enumerate(room) if all(map(operator.le, sizes, free))), len(room))
        if slot == len(room):
            room.append(list(capacities))
        free = room[slot]
        rows_of.append(slot)
        for side, n in enumerate(sizes):
            starts[side].append(capacities[side] - free[side])
            free[side] -= n
    return np.array(rows_of, dtype=np.int64), np.array(starts, dtype=np.int64).reshape(len(capacities), -1)


def _side_layout(
    lengths: np.ndarray, rows_of: np.ndarray, starts: np.ndarray, num_rows: int, width: int, padded: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Where the tokens of one side go: (valid (b, t) source tokens, their flat destinations,
    position_ids (r, L) restarting at 0 per document, attention_mask (r, L)).

    The padding tail of a row continues its last document's positions: its queries then see that
    document's keys (a query with every key masked would give NaN under sdpa), while no real token
    attends to it (attention_mask 0).
    """
    columns = np.arange(padded)  # (t,)
    valid = columns < lengths[:, None]  # (b, t): right-padded rows
    destinations = ((rows_of * width + starts)[:, None] + columns)[valid]  # (tokens,) flat into (r, L)
    document_start = np.zeros((num_rows, width), dtype=np.int64)  # (r, L): marks, then running max
    inside = starts < width  # an empty document may start at the very end of a full row
    document_start[rows_of[inside], starts[inside]] = starts[inside]
    np.maximum.accumulate(document_start, axis=1, out=document_start)
    positions = np.arange(width) - document_start  # (r, L)
    row_end = np.zeros(num_rows, dtype=np.int64)
    np.maximum.at(row_end, rows_of, starts + lengths)
    attention_mask = (np.arange(width) < row_end[:, None]).astype(np.int64)  # (r, L)
    return valid, destinations, positions, attention_mask


def _scatter(
    values: torch.Tensor, valid: np.ndarray, destinations: np.ndarray, shape: tuple[int, int], fill: int
) -> torch.Tensor:
    """A (r, L) tensor of ``fill`` holding ``values[valid]`` at the flat ``destinations``."""
    source = values.detach().cpu().numpy()
    out = np.full(shape, fill, dtype=source.dtype)
    out.reshape(-1)[destinations] = source[valid]
    return torch.from_numpy(out)


def pack_batch(
    batch: dict[str, torch.Tensor], row_length: int, *, pad_token_id: int, position_offset: int = 0
) -> dict[str, torch.Tensor]:
    """Pack a right-padded batch (with attention_mask) into rows of `row_length` tokens.

    Returns input_ids, labels and token_type_ids (when present), position_ids (restarting at
    `position_offset` for every document: 0 for BERT/GPT, padding_idx + 1 = 2 for RoBERTa) and an
    attention_mask that is 0 only on the padding at the end of a row. Per-sequence keys (NSP labels)
    cannot be packed and raise. Documents are placed first fit, in order; every key is moved with
    one scatter, whatever the number of documents.
    """
    if "attention_mask" not in batch:
        raise ValueError("pack_batch needs an attention_mask to tell tokens from padding")
    unknown = sorted(set(batch) - set(_TOKEN_KEYS) - {"attention_mask"})
    if unknown:
        raise ValueError(f"cannot pack per-sequence keys {unknown}: packed rows hold several sequences")
    lengths = batch["attention_mask"].detach().cpu().numpy().sum(axis=-1)  # (b,)
    if lengths.size and lengths.max() > row_length:
        raise ValueError(f"a sequence of {lengths.max()} tokens does not fit row_length={row_length}")
    rows_of, starts = _first_fit([lengths.tolist()], [row_length])
    num_rows = int(rows_of.max()) + 1 if rows_of.size else 0
    padded = batch["attention_mask"].shape[1]
    valid, destinations, positions, attention_mask = _side_layout(
        lengths, rows_of, starts[0], num_rows, row_length, padded
    )
    padding = {"input_ids": pad_token_id, "labels": IGNORE_INDEX, "token_type_ids": 0}
    out = {
        key: _scatter(batch[key], valid, destinations, (num_rows, row_length), padding[key])
        for key in _TOKEN_KEYS
        if key in batch
    }
    out["position_ids"] = torch.from_numpy(positions + position_offset)
    out["attention_mask"] = torch.from_numpy(attention_mask)
    return out


def pack_seq2seq_batch(
    batch: dict[str, torch.Tensor],
    source_length: int,
    target_length: int,
    *,
    pad_token_id: int,
) -> dict[str, torch.Tensor]:
    """Pack a padded encoder-decoder batch: several (source, target) pairs per row, each side kept apart.

    batch: input_ids + attention_mask (b, s) and labels + decoder_input_ids (+ decoder_attention_mask)
    (b, t), as DenoisingCollator or SpanCorruptionCollator return them. Pairs are placed first fit
    where both the source row and the target row have room, in the same order on both sides, so
    the k-th document of a source row belongs to the k-th of its target row. position_ids and
    decoder_position_ids restart at 0 for every document: hf_ssl's BART, MASS and T5 read them as
    block-diagonal self-attention on both sides and cross-attention from each target document to
    its own source only, so every labelled logit equals the padded path's (tested).
    """
    needed = {"input_ids", "attention_mask", "labels", "decoder_input_ids"}
    if not needed <= set(batch):
        raise ValueError(f"pack_seq2seq_batch needs {sorted(needed)}; the batch has {sorted(batch)}")
    unsupported = sorted({"decoder_position_ids", "cross_attention_mask"} & set(batch))
    if unsupported:
        # MASS feeds the span at its original positions; packing renumbers positions from 0.
        raise ValueError(f"cannot pack a batch with {unsupported}: packing renumbers the positions")
    sources = batch["attention_mask"].detach().cpu().numpy().sum(axis=-1)  # (b,)
    target_mask = batch.get("decoder_attention_mask")
    if target_mask is None:
        target_mask = batch["labels"].ne(IGNORE_INDEX)
    targets = target_mask.detach().cpu().numpy().astype(np.int64).sum(axis=-1)  # (b,)
    for name, lengths, limit in (("source", sources, source_length), ("target", targets, target_length)):
        if lengths.max() > limit:
            raise ValueError(f"a {name} of {lengths.max()} tokens does not fit a packed row of {limit}")
    rows_of, starts = _first_fit([sources.tolist(), targets.tolist()], [source_length, target_length])
    num_rows = int(rows_of.max()) + 1
    out: dict[str, torch.Tensor] = {}
    for side, (lengths, width, ids, mask, positions, with_labels) in enumerate(
        (
            (sources, source_length, "input_ids", "attention_mask", "position_ids", False),
            (
                targets,
                target_length,
                "decoder_input_ids",
                "decoder_attention_mask",
                "decoder_position_ids",
                True,
            ),
        )
    ):
        valid, destinations, side_positions, side_mask = _side_layout(
            lengths, rows_of, starts[side], num_rows, width, batch[ids].shape[1]
        )
        out[ids] = _scatter(batch[ids], valid, destinations, (num_rows, width), pad_token_id)
        out[mask] = torch.from_numpy(side_mask)
        out[positions] = torch.from_numpy(side_positions)
        if with_labels:
            out["labels"] = _scatter(batch["labels"], valid, destinations, (num_rows, width), IGNORE_INDEX)
    return out


@accepts_tokenizer
@dataclass
class PackingCollator:
    """Run `collator`, then pack its padded batch into rows of `row_length` (see pack_batch).

    `tokenizer=` (keyword only) fills `pad_token_id` (its pad, else its eos); passed explicitly, it wins.
    """

    collator: Callable[[Sequence[Any]], dict[str, torch.Tensor]]
    row_length: int
    pad_token_id: int
    position_offset: int = 0

    @classmethod
    def _tokenizer_fields(cls, tokenizer: Any, given: Mapping[str, Any]) -> dict[str, Any]:
        """The pad id, else the eos id; the packed rows' padding is masked out."""
        return {} if "pad_token_id" in given else {"pad_token_id": pad_or_eos_id(tokenizer)}

    def __post_init__(self) -> None:
        if self.row_length < 1:
            raise ValueError(f"row_length={self.row_length}; expected >= 1")

    def __call__(self, features: Sequence[Any]) -> dict[str, torch.Tensor]:
        return pack_batch(
            self.collator(features),
            self.row_length,
            pad_token_id=self.pad_token_id,
            position_offset=self.position_offset,
        )


@accepts_tokenizer
@dataclass
class Seq2SeqPackingCollator:
    """Run an encoder-decoder `collator` (DenoisingCollator: BART), then pack its (source, target)
    pairs into rows of `source_length` / `target_length` (see pack_seq2seq_batch). MASS batches,
    whose decoder reads the span at its original positions, cannot be packed.

    `tokenizer=` (keyword only) fills `pad_token_id` (its pad, else its eos); passed explicitly, it wins.
    """

    collator: Callable[[Sequence[Any]], dict[str, torch.Tensor]]
    source_length: int
    target_length: int
    pad_token_id: int

    @classmethod
    def _tokenizer_fields(cls, tokenizer: Any, given: Mapping[str, Any]) -> dict[str, Any]:
        """The pad id, else the eos id; the packed rows' padding is masked out."""
        return {} if "pad_token_id" in given else {"pad_token_id": pad_or_eos_id(tokenizer)}

    def __post_init__(self) -> None:
        if self.source_length < 1 or self.target_length < 1:
            raise ValueError(
                f"source_length={self.source_length}, target_length={self.target_length}; expected >= 1"
            )

    def __call__(self, features: Sequence[Any]) -> dict[str, torch.Tensor]:
        return pack_seq2seq_batch(
            self.collator(features), self.source_length, self.target_length, pad_token_id=self.pad_token_id
        )
