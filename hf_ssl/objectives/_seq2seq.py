"""Private helpers shared by the sequence-to-sequence collators: reading ids, padding, shifting, seeding.

Used by denoising (BART), span_corruption (T5), masked_seq2seq (MASS) and prefix_lm. The
encoder-decoder keys follow transformers: ``labels`` padded with IGNORE_INDEX and
``decoder_input_ids`` = labels shifted right behind ``decoder_start_token_id``, as
``transformers.models.bart.modeling_bart.shift_tokens_right`` builds them (fairseq's
``move_eos_to_beginning`` for BART, T5's pad start).

Shapes: b = batch size, t = padded length.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from hf_ssl.constants import IGNORE_INDEX


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
    for token in row:
        if isinstance(token, bool) or not isinstance(token, int):
            raise TypeError(f"feature {index} {key!r} must hold ints only, got {token!r}")
    return row


def read_documents(features: Any) -> list[list[int]]:
    """``input_ids`` of each feature (dicts, lists or tensors), trimmed to its ``attention_mask``."""
    if isinstance(features, dict) or not isinstance(features, Sequence) or len(features) == 0:
        raise ValueError(f"features must be a non-empty list of examples, got {features!r:.80}")
    documents = []
    for index, feature in enumerate(features):
        if isinstance(feature, dict):
            if "input_ids" not in feature:
                raise ValueError(f"feature {index} has no 'input_ids' (keys: {sorted(feature)})")
            ids = as_id_list(feature["input_ids"], index)
            mask = feature.get("attention_mask")
            if mask is not None:
                mask = as_id_list(mask, index, "attention_mask")
                if len(mask) != len(ids):
                    raise ValueError(
                        f"feature {index} has {len(mask)} attention_mask for {len(ids)} input_ids"
                    )
                ids = [token for token, keep in zip(ids, mask, strict=True) if keep]
        else:
            ids = as_id_list(feature, index)
        documents.append(ids)
    return documents


def round_up(length: int, multiple: int | None) -> int:
    return length if multiple is None else -(-length // multiple) * multiple


def pad_rows(
    rows: Sequence[Sequence[int]], pad_value: int, length: int | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-pad rows into a (b, t) LongTensor; also return the (b, t) mask of real positions."""
    lengths = torch.tensor([len(row) for row in rows], dtype=torch.long)  # (b,)
    width = int(lengths.max()) if length is None else length
    assert width >= int(lengths.max()), "pad length shorter than a row"
    valid = torch.arange(width) < lengths.unsqueeze(1)  # (b, t)
    padded = torch.full((len(rows), width), pad_value, dtype=torch.long)  # (b, t)
    flat = [token for row in rows for token in row]
    if flat:
        padded[valid] = torch.tensor(flat, dtype=torch.long)
    return padded, valid


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


class CollatorRNG:
    """A collator's own ``torch.Generator``, reseeded once per DataLoader worker.

    Each worker holds a copy of the collator: without a reseed every worker would replay the same
    noise, and every epoch would restart from the same state (as MaskedLMCollator does).
    """

    def __init__(self, seed: int | None) -> None:
        if seed is not None:
            check_int("seed", seed)
        self.seed = seed
        self.generator = torch.Generator()
        if seed is None:
            self.generator.seed()
        else:
            self.generator.manual_seed(seed)
        self._worker_seed: int | None = None

    def get(self) -> torch.Generator:
        info = torch.utils.data.get_worker_info()
        if info is not None and info.seed != self._worker_seed:
            self._worker_seed = info.seed
            mixed = info.seed if self.seed is None else self.seed * 1_000_003 + info.seed
            self.generator.manual_seed(mixed % (2**63))
        return self.generator

    def __getstate__(self) -> dict[str, Any]:
        return {"seed": self.seed, "state": self.generator.get_state(), "worker": self._worker_seed}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.seed = state["seed"]
        self.generator = torch.Generator()
        self.generator.set_state(state["state"])
        self._worker_seed = state["worker"]


def replacement_ids(vocab_size: int, special_ids: Sequence[int]) -> torch.Tensor:
    """Ids a random replacement may draw: the vocabulary without its special tokens."""
    special = set(special_ids)
    return torch.tensor([i for i in range(vocab_size) if i not in special], dtype=torch.long)
