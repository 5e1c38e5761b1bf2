"""Causal language modelling collator (GPT): labels are the inputs, padding ignored, optional packing.

Radford et al. 2018 §3.1: maximise Σ log P(u_i | u_<i). The model shifts the labels itself (position i
predicts label i + 1), so the collator returns labels aligned with the inputs.

Deliberate differences from transformers' `DataCollatorForLanguageModeling(mlm=False)`:
- padding is found from each example's length (or its attention_mask), never from the pad id, so when
  pad and EOS are the same token (GPT-2) real EOS tokens keep their labels;
- packing (`pack_length`) concatenates documents into full rows with position ids restarting at each
  document; hf_ssl's decoders turn restarting positions into a causal block-diagonal mask, so no token
  attends across documents, and the first token of each document gets no label, so no document is
  predicted from the previous one. The incomplete last row is dropped (as run_clm's group_texts does).

Shapes: b rows, t row length.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from hf_ssl.constants import IGNORE_INDEX
from hf_ssl.objectives.rows import check_mask_values, empty_row_error, pad_rows_numpy
from hf_ssl.objectives.tokenizer_fields import accepts_tokenizer, causal_lm_fields, construct

__all__ = ["CausalLMCollator"]


def _ids(feature: Any, index: int) -> list[int]:
    ids = feature["input_ids"] if isinstance(feature, dict) else feature
    if isinstance(ids, torch.Tensor):
        ids = ids.tolist()
    if not isinstance(ids, Sequence) or isinstance(ids, str | bytes):
        raise TypeError(f"feature {index}: input_ids must be a list of ints or a 1-D tensor, got {type(ids)}")
    return list(ids)


@accepts_tokenizer
@dataclass
class CausalLMCollator:
    """Pads (or packs) token ids into a causal-LM batch: input_ids, attention_mask or position_ids, labels.

    Args:
        pad_token_id: id written into padding (its labels are IGNORE_INDEX).
        pack_length: if set, pack all documents of the batch into rows of exactly this many tokens.
        eos_token_id: appended to each document when packing, as GPT-2's <|endoftext|> separator.
        pad_to_multiple_of: round the padded length up (without packing).
        tokenizer: (keyword only) fills ``pad_token_id`` (its pad, else its eos) and ``eos_token_id``;
            fields passed explicitly win.
    """

    pad_token_id: int
    pack_length: int | None = None
    eos_token_id: int | None = None
    pad_to_multiple_of: int | None = None

    def __post_init__(self) -> None:
        if (
            isinstance(self.pad_token_id, bool)
            or not isinstance(self.pad_token_id, int)
            or self.pad_token_id < 0
        ):
            raise ValueError(f"pad_token_id must be an int >= 0, got {self.pad_token_id!r}")
        if self.pack_length is not None and (not isinstance(self.pack_length, int) or self.pack_length < 2):
            raise ValueError(f"pack_length must be an int >= 2, got {self.pack_length!r}")
        if self.pad_to_multiple_of is not None and self.pad_to_multiple_of < 1:
            raise ValueError(f"pad_to_multiple_of must be >= 1, got {self.pad_to_multiple_of!r}")

    @classmethod
    def _tokenizer_fields(cls, tokenizer: Any, given: Mapping[str, Any]) -> dict[str, Any]:
        return causal_lm_fields(tokenizer, given)

    @classmethod
    def from_tokenizer(cls, tokenizer: Any, **kwargs: Any) -> CausalLMCollator:
        """``CausalLMCollator(tokenizer=tokenizer, **kwargs)``: ids from the tokenizer, ``kwargs`` win."""
        return construct(cls, tokenizer, **kwargs)

    def __call__(self, features: Sequence[Any]) -> dict[str, torch.Tensor]:
        if isinstance(features, dict) or len(features) == 0:
            raise ValueError("features must be a non-empty list of examples")
        documents = [_ids(feature, i) for i, feature in enumerate(features)]
        if self.pack_length is not None:
            return self._pack(documents)
        masks: list[list[int] | None] = []
        for index, (feature, ids) in enumerate(zip(features, documents, strict=True)):
            if not ids:
                raise empty_row_error(index)
            mask = feature.get("attention_mask") if isinstance(feature, dict) else None
            values = None if mask is None else _ids({"input_ids": mask}, index)
            if values is not None and len(values) != len(ids):
                raise ValueError(
                    f"feature {index} has {len(values)} attention_mask values for {len(ids)} input_ids"
                )
            masks.append(values)
        sizes = list(map(len, documents))
        length = max(sizes)
        if self.pad_to_multiple_of:
            length = -(-length // self.pad_to_multiple_of) * self.pad_to_multiple_of
        columns = np.arange(length)  # (t,)
        valid = None if min(sizes) == length else columns < np.array(sizes)[:, None]  # (b, t)
        input_ids = pad_rows_numpy(documents, length, valid, self.pad_token_id, "input_ids")  # (b, t)
        if all(mask is None for mask in masks):
            attention_mask = (columns < np.array(sizes)[:, None]).astype(np.int64)  # (b, t)
        else:  # taken as given, so left-padded rows keep their padding on the left
            rows = [[1] * n if mask is None else mask for mask, n in zip(masks, sizes, strict=True)]
            attention_mask = pad_rows_numpy(rows, length, valid, 0, "attention_mask")  # (b, t)
            check_mask_values(attention_mask)
        labels = np.where(attention_mask == 1, input_ids, IGNORE_INDEX)  # (b, t)
        return {
            "input_ids": torch.from_numpy(input_ids),
            "attention_mask": torch.from_numpy(attention_mask),
            "labels": torch.from_numpy(labels),
        }

    def _pack(self, documents: list[list[int]]) -> dict[str, torch.Tensor]:
        assert self.pack_length is not None
        stream: list[int] = []
        positions: list[int] = []
        for ids in documents:
            ids = ids + ([self.eos_token_id] if self.eos_token_id is not None else [])
            stream += ids
            positions += range(len(ids))
        rows = len(stream) // self.pack_length
        if rows == 0:
            raise ValueError(
                f"the batch holds {len(stream)} tokens, fewer than pack_length={self.pack_length}: nothing to pack"
            )
        used = rows * self.pack_length
        input_ids = torch.tensor(stream[:used]).view(rows, self.pack_length)  # (b, t)
        position_ids = torch.tensor(positions[:used]).view(rows, self.pack_length)
        # A document cut by a row boundary continues as its own document in the next row.
        for row in range(1, rows):
            if position_ids[row, 0] != 0:
                cut = (
                    int((position_ids[row] == 0).nonzero()[0])
                    if (position_ids[row] == 0).any()
                    else self.pack_length
                )
                position_ids[row, :cut] -= position_ids[row, 0].clone()
        labels = input_ids.masked_fill(position_ids == 0, IGNORE_INDEX)  # never predict across documents
        return {"input_ids": input_ids, "position_ids": position_ids, "labels": labels}
