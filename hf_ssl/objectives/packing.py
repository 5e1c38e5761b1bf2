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

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from hf_ssl.constants import IGNORE_INDEX

__all__ = ["PackingCollator", "Seq2SeqPackingCollator", "pack_batch", "pack_seq2seq_batch"]

# Token-aligned keys packed along with input_ids, and the value that pads each.
# Keys packed per token (attention_mask is rebuilt from the packing).
_TOKEN_KEYS = ("input_ids", "labels", "token_type_ids")


def pack_batch(
    batch: dict[str, torch.Tensor], row_length: int, *, pad_token_id: int, position_offset: int = 0
) -> dict[str, torch.Tensor]:
    """Pack a right-padded batch (with attention_mask) into rows of `row_length` tokens.

    Returns input_ids, labels and token_type_ids (when present), position_ids (restarting at
    `position_offset` for every document: 0 for BERT/GPT, padding_idx + 1 = 2 for RoBERTa) and an
    attention_mask that is 0 only on the padding at the end of a row. Per-sequence keys (NSP labels)
    cannot be packed and raise.
    """
    if "attention_mask" not in batch:
        raise ValueError("pack_batch needs an attention_mask to tell tokens from padding")
    unknown = sorted(set(batch) - set(_TOKEN_KEYS) - {"attention_mask"})
    if unknown:
        raise ValueError(f"cannot pack per-sequence keys {unknown}: packed rows hold several sequences")
    lengths = batch["attention_mask"].sum(-1).tolist()
    too_long = [n for n in lengths if n > row_length]
    if too_long:
        raise ValueError(f"a sequence of {too_long[0]} tokens does not fit row_length={row_length}")
    rows: list[list[int]] = []  # indices of the input rows in each packed row
    room: list[int] = []
    for index, length in enumerate(lengths):
        slot = next((r for r, free in enumerate(room) if free >= length), None)  # first fit
        if slot is None:
            rows.append([])
            room.append(row_length)
            slot = len(rows) - 1
        rows[slot].append(index)
        room[slot] -= length
    keys = [k for k in _TOKEN_KEYS if k in batch]
    padding = {"input_ids": pad_token_id, "labels": IGNORE_INDEX, "token_type_ids": 0}
    out = {key: torch.full((len(rows), row_length), padding[key], dtype=batch[key].dtype) for key in keys}
    out["position_ids"] = torch.zeros(len(rows), row_length, dtype=torch.long)
    out["attention_mask"] = torch.zeros(len(rows), row_length, dtype=torch.long)
    for r, members in enumerate(rows):
        start = 0
        for index in members:
            n = lengths[index]
            for key in keys:
                out[key][r, start : start + n] = batch[key][index, :n]
            out["position_ids"][r, start : start + n] = torch.arange(n) + position_offset
            out["attention_mask"][r, start : start + n] = 1
            start += n
        # The padding tail continues the last document's positions: its queries then see that
        # document's keys (a query with every key masked would give NaN under sdpa), while no real
        # token attends to it (attention_mask 0).
        last = lengths[members[-1]]
        out["position_ids"][r, start:] = torch.arange(last, last + row_length - start) + position_offset
    return out


def _lay_out(
    out: dict[str, torch.Tensor],
    keys: Sequence[str],
    source: dict[str, torch.Tensor],
    row: int,
    start: int,
    index: int,
    length: int,
) -> None:
    for key in keys:
        out[key][row, start : start + length] = source[key][index, :length]


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
    sources = batch["attention_mask"].sum(-1).tolist()
    target_mask = batch.get("decoder_attention_mask")
    if target_mask is None:
        target_mask = batch["labels"].ne(IGNORE_INDEX)
    targets = target_mask.long().sum(-1).tolist()
    for name, lengths, limit in (("source", sources, source_length), ("target", targets, target_length)):
        if max(lengths) > limit:
            raise ValueError(f"a {name} of {max(lengths)} tokens does not fit a packed row of {limit}")
    rows: list[list[int]] = []
    room: list[tuple[int, int]] = []
    for index, (s_len, t_len) in enumerate(zip(sources, targets, strict=True)):
        slot = next((r for r, (s, t) in enumerate(room) if s >= s_len and t >= t_len), None)
        if slot is None:
            rows.append([])
            room.append((source_length, target_length))
            slot = len(rows) - 1
        rows[slot].append(index)
        room[slot] = (room[slot][0] - s_len, room[slot][1] - t_len)
    r = len(rows)
    out = {
        "input_ids": torch.full((r, source_length), pad_token_id, dtype=torch.long),
        "attention_mask": torch.zeros(r, source_length, dtype=torch.long),
        "position_ids": torch.zeros(r, source_length, dtype=torch.long),
        "decoder_input_ids": torch.full((r, target_length), pad_token_id, dtype=torch.long),
        "decoder_attention_mask": torch.zeros(r, target_length, dtype=torch.long),
        "decoder_position_ids": torch.zeros(r, target_length, dtype=torch.long),
        "labels": torch.full((r, target_length), IGNORE_INDEX, dtype=torch.long),
    }
    for row, members in enumerate(rows):
        for lengths, ids, labels, mask, positions in (
            (sources, "input_ids", None, "attention_mask", "position_ids"),
            (
                targets,
                "decoder_input_ids",
                "labels",
                "decoder_attention_mask",
                "decoder_position_ids",
            ),
        ):
            start, width = 0, out[ids].shape[1]
            for index in members:
                n = lengths[index]
                _lay_out(out, [ids] + ([labels] if labels else []), batch, row, start, index, n)
                out[mask][row, start : start + n] = 1
                out[positions][row, start : start + n] = torch.arange(n)
                start += n
            # The padding tail continues the last document's positions (see pack_batch).
            last = lengths[members[-1]]
            out[positions][row, start:] = torch.arange(last, last + width - start)
    return out


@dataclass
class PackingCollator:
    """Run `collator`, then pack its padded batch into rows of `row_length` (see pack_batch)."""

    collator: Callable[[Sequence[Any]], dict[str, torch.Tensor]]
    row_length: int
    pad_token_id: int
    position_offset: int = 0

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


@dataclass
class Seq2SeqPackingCollator:
    """Run an encoder-decoder `collator` (DenoisingCollator: BART), then pack its (source, target)
    pairs into rows of `source_length` / `target_length` (see pack_seq2seq_batch). MASS batches,
    whose decoder reads the span at its original positions, cannot be packed."""

    collator: Callable[[Sequence[Any]], dict[str, torch.Tensor]]
    source_length: int
    target_length: int
    pad_token_id: int

    def __post_init__(self) -> None:
        if self.source_length < 1 or self.target_length < 1:
            raise ValueError(
                f"source_length={self.source_length}, target_length={self.target_length}; expected >= 1"
            )

    def __call__(self, features: Sequence[Any]) -> dict[str, torch.Tensor]:
        return pack_seq2seq_batch(
            self.collator(features), self.source_length, self.target_length, pad_token_id=self.pad_token_id
        )
