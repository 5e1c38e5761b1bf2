"""Masked language modelling collator (BERT, RoBERTa, ALBERT): token ids in, MLM batch out.

Masking follows google-research/bert ``create_pretraining_data.py``: a fixed count of
``min(max_predictions_per_seq, max(1, round(0.15 * len(tokens))))`` predictions per sequence
(:369-370), [CLS]/[SEP] never candidates (:348-349), optional whole-word masking (:359-363,
:379-380) and an 80/10/10 draw per selected token (:391-401). Masks are drawn afresh on every call,
which is RoBERTa's dynamic masking (fairseq ``mask_tokens_dataset.py:113-119``).

Deliberate differences from BERT and from transformers' ``DataCollatorForLanguageModeling``:
- random replacements come from the non-special vocabulary only, as in fairseq
  (``mask_tokens_dataset.py:95-101``), never [PAD]/[CLS]/[SEP]/[MASK];
- the count is BERT's exact per-sequence count, not a Bernoulli(0.15) per token (HF) nor fairseq's
  ``int(0.15 * n + U(0, 1))``;
- ``attention_mask`` is always returned, also for plain lists of ids;
- whole-word masking takes ``word_ids`` from the caller, so pre-segmented Chinese works, and keeps
  the 80/10/10 split;
- knowledge masking (ERNIE, Sun et al. 2019 §3.2): ``span_groups`` per example, phrases or entities
  as token spans, are masked as whole units within the same budget and with the same 80/10/10.

Shapes: b = batch size, t = padded sequence length.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from hf_ssl.objectives.noise import (
    bert_count_table,
    exact_count_mask,
    mask_replace,
    whole_word_mask,
    with_replacement_mask,
)
from hf_ssl.objectives.rng import CollatorRNG
from hf_ssl.objectives.rows import (
    Rows,
    check_mask_values,
    empty_row_error,
    key_rows,
    pad_rows_numpy,
    row_lengths,
)
from hf_ssl.objectives.tokenizer_fields import accepts_tokenizer, construct, token_ids

logger = logging.getLogger(__name__)

__all__ = ["MaskedLMCollator"]

# Keys the collator reads per token; every other key is a per-example value passed through.
_TOKEN_KEYS = ("input_ids", "attention_mask", "token_type_ids", "special_tokens_mask", "word_ids")


def _check_probability(name: str, value: float) -> None:
    if not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be a number in [0, 1], got {value!r}")


def _group_spans(units: list[int], spans: Any, index: int) -> list[int]:
    """Give every token of each (start, end) span one fresh unit id, so the span is masked as a whole."""
    if not isinstance(spans, Sequence) or isinstance(spans, str | bytes):
        raise TypeError(
            f"feature {index} 'span_groups' must be a list of (start, end) pairs, got {spans!r:.60}"
        )
    units = list(units)
    fresh = max([*units, len(units)]) + 1  # ids no word uses, one per span
    taken = [False] * len(units)
    for k, span in enumerate(spans):
        if (
            not isinstance(span, Sequence)
            or len(span) != 2
            or not all(isinstance(x, int) and not isinstance(x, bool) for x in span)
            or not 0 <= span[0] < span[1] <= len(units)
        ):
            raise ValueError(
                f"feature {index} span_groups[{k}]={span!r}; expected (start, end) with "
                f"0 <= start < end <= {len(units)} (the number of tokens)"
            )
        start, end = span
        if any(taken[start:end]):
            raise ValueError(f"feature {index} span_groups[{k}]={span!r} overlaps an earlier span")
        taken[start:end] = [True] * (end - start)
        units[start:end] = [fresh + k] * (end - start)
    return units


def _stack_passthrough(key: str, values: list[Any]) -> torch.Tensor:
    if all(isinstance(value, torch.Tensor) for value in values):
        return torch.stack(values)
    try:
        return torch.tensor(values)  # (b,) for scalars, (b, n) for equal-length lists
    except (TypeError, ValueError, RuntimeError) as error:
        raise TypeError(
            f"cannot batch feature key {key!r} (values like {values[0]!r}): extra keys must be numbers "
            "or equal-length lists of numbers; drop other columns before collating"
        ) from error


@accepts_tokenizer
@dataclass
class MaskedLMCollator:
    """Pads a batch of token ids and masks it for MLM, BERT-style, with fresh masks on every call.

    Features are dicts with ``input_ids`` (list of ints or 1-D tensor) and optionally
    ``attention_mask``, ``token_type_ids``, ``special_tokens_mask`` (1 = never select) and
    ``word_ids`` (None or -1 for tokens in no word; needed by ``whole_word_mask``) and
    ``span_groups`` (a list of ``(start, end)`` token spans, end exclusive, each masked all or
    nothing: ERNIE's phrase and entity masking; tokens outside the spans are units of their own, or
    whole words with ``whole_word_mask``), or plain lists of ids. Other keys (``next_sentence_label``, ``sentence_order_label``, ...) are stacked and passed
    through. Returns ``input_ids``, ``attention_mask``, ``labels`` (IGNORE_INDEX where nothing is
    predicted) and ``token_type_ids`` when given. Without ``attention_mask``, positions holding
    ``pad_token_id`` count as padding.

    Each row gets ``min(max_predictions, max(1, round(mlm_probability * n)))`` predictions, ``n``
    being its non-pad length *including* special tokens, as in BERT; fewer only when it has fewer
    candidates. Special tokens (``special_token_ids``, ``pad_token_id``, ``mask_token_id`` and
    ``special_tokens_mask``) are never selected and never inserted as random replacements.

    ``MaskedLMCollator(tokenizer=tok, mlm_probability=0.15)`` reads ``vocab_size`` (``len(tok)``),
    ``mask_token_id``, ``pad_token_id`` and ``special_token_ids`` (every special id but [UNK]) from a
    transformers tokenizer; fields passed explicitly win.

    ``sample_with_replacement=True`` draws the predictions with replacement instead, as ELECTRA's
    reference does (``noise.with_replacement_mask``): duplicates leave fewer distinct positions.
    ``MaskedLMCollator.electra(...)`` sets it with ELECTRA's 85% [MASK] / 15% kept / no random split.

    ``seed=None`` seeds the generator nondeterministically. In DataLoader workers the generator is
    reseeded once per worker from the worker's seed (mixed with ``seed``), so workers do not repeat
    each other's masks and each epoch gets new ones. For a Trainer run that must resume exactly,
    switch to keyed masks (``hf_ssl.trainer.ResumableNoiseCallback``; see ``CollatorRNG``).
    """

    vocab_size: int
    mask_token_id: int
    pad_token_id: int
    special_token_ids: Sequence[int] = ()
    mlm_probability: float = 0.15
    mask_replace_prob: float = 0.8
    random_replace_prob: float = 0.1
    max_predictions: int | None = None
    whole_word_mask: bool = False
    sample_with_replacement: bool = False
    pad_to_multiple_of: int | None = None
    seed: int | None = None
    _rng: CollatorRNG = field(init=False, repr=False, compare=False)
    _is_candidate: np.ndarray = field(init=False, repr=False, compare=False)
    _replacement_ids: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if isinstance(self.vocab_size, bool) or not isinstance(self.vocab_size, int) or self.vocab_size < 1:
            raise ValueError(f"vocab_size must be an int >= 1, got {self.vocab_size!r}")
        for name in ("mask_token_id", "pad_token_id"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < self.vocab_size:
                raise ValueError(f"{name} must be an int in [0, vocab_size={self.vocab_size}), got {value!r}")
        specials = tuple(self.special_token_ids)
        for value in specials:
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < self.vocab_size:
                raise ValueError(
                    f"special_token_ids must be ints in [0, vocab_size={self.vocab_size}), got {value!r}"
                )
        self.special_token_ids = specials
        _check_probability("mlm_probability", self.mlm_probability)
        _check_probability("mask_replace_prob", self.mask_replace_prob)
        _check_probability("random_replace_prob", self.random_replace_prob)
        if self.mask_replace_prob + self.random_replace_prob > 1.0:
            raise ValueError(
                "mask_replace_prob + random_replace_prob must be <= 1, got "
                f"{self.mask_replace_prob} + {self.random_replace_prob}"
            )
        if self.max_predictions is not None and (
            isinstance(self.max_predictions, bool)
            or not isinstance(self.max_predictions, int)
            or self.max_predictions < 1
        ):
            raise ValueError(f"max_predictions must be None or an int >= 1, got {self.max_predictions!r}")
        if self.pad_to_multiple_of is not None and (
            not isinstance(self.pad_to_multiple_of, int) or self.pad_to_multiple_of < 1
        ):
            raise ValueError(
                f"pad_to_multiple_of must be None or an int >= 1, got {self.pad_to_multiple_of!r}"
            )
        if self.sample_with_replacement and self.whole_word_mask:
            raise ValueError(
                "sample_with_replacement (ELECTRA's token draws) does not combine with whole_word_mask"
            )
        if self.seed is not None and (not isinstance(self.seed, int) or self.seed < 0):
            raise ValueError(f"seed must be None or an int >= 0, got {self.seed!r}")

        special_set = {*specials, self.mask_token_id, self.pad_token_id}
        # A vocabulary-sized lookup table: one gather per batch instead of a set-membership search.
        self._is_candidate = np.ones(self.vocab_size, dtype=bool)
        self._is_candidate[sorted(special_set)] = False
        self._replacement_ids = np.flatnonzero(self._is_candidate)  # (v - specials,) int64
        if self._replacement_ids.size == 0 and self.random_replace_prob > 0:
            raise ValueError(
                f"every id in [0, vocab_size={self.vocab_size}) is special, so random_replace_prob="
                f"{self.random_replace_prob} has no token to draw; set it to 0"
            )
        self._rng = CollatorRNG(self.seed)

    @classmethod
    def _tokenizer_fields(cls, tokenizer: Any, given: Mapping[str, Any]) -> dict[str, Any]:
        """Mask/pad ids, ``all_special_ids`` and ``len(tokenizer)`` (see ``accepts_tokenizer``).

        The unknown token is not special here: BERT's ``create_masked_lm_predictions`` skips only
        [CLS] and [SEP] (its data holds no [MASK] or padding), so [UNK] is masked and predicted like
        any word, and ELECTRA's candidates exclude only [CLS], [SEP], [MASK] and padding.
        """
        fields: dict[str, Any] = token_ids(tokenizer, ("mask", "pad"), given, "MLM")
        unk = getattr(tokenizer, "unk_token_id", None)
        specials = tuple(i for i in tokenizer.all_special_ids if i != unk)
        fields.update(vocab_size=len(tokenizer), special_token_ids=specials)
        return fields

    @classmethod
    def from_tokenizer(cls, tokenizer: Any, **kwargs: Any) -> MaskedLMCollator:
        """``MaskedLMCollator(tokenizer=tokenizer, **kwargs)``: ids from the tokenizer, ``kwargs`` win."""
        return construct(cls, tokenizer, **kwargs)

    @classmethod
    def electra(cls, tokenizer: Any, **kwargs: Any) -> MaskedLMCollator:
        """ELECTRA's masking (google-research/electra ``pretrain_helpers.py:145-213``): positions drawn
        with replacement, 85% of them [MASK], 15% kept, no random replacement (the generator's samples
        are the replacements). ``kwargs`` override or add fields, as in ``from_tokenizer``."""
        scheme = {"mask_replace_prob": 0.85, "random_replace_prob": 0.0, "sample_with_replacement": True}
        return construct(cls, tokenizer, **{**scheme, **kwargs})

    def _gather(self, features: Sequence[Any]) -> tuple[dict[str, Rows], dict[str, list[Any]]]:
        """Split features into per-token rows (by key) and per-example passthrough values."""
        if isinstance(features, dict) or not isinstance(features, Sequence) or len(features) == 0:
            raise ValueError(f"features must be a non-empty list of examples, got {features!r:.80}")
        if not isinstance(features[0], dict):
            return {"input_ids": key_rows(list(features), "input_ids")}, {}
        keys = set(features[0])
        if "input_ids" not in keys:
            raise ValueError(f"each feature needs 'input_ids', got keys {sorted(keys)}")
        if "labels" in keys:
            raise ValueError(
                "features already carry 'labels'; MaskedLMCollator creates the MLM labels itself"
            )
        for index, feature in enumerate(features):
            if not isinstance(feature, dict) or set(feature) != keys:
                found = sorted(feature) if isinstance(feature, dict) else type(feature).__name__
                raise ValueError(f"feature {index} has keys {found}, feature 0 has {sorted(keys)}")
        rows = {
            key: key_rows([feature[key] for feature in features], key) for key in _TOKEN_KEYS if key in keys
        }
        extras = {key: [feature[key] for feature in features] for key in keys if key not in _TOKEN_KEYS}
        return rows, extras

    def _unit_ids(
        self,
        rows: dict[str, Rows],
        lengths: list[int],
        spans: list[Any] | None,
        length: int,
        valid: np.ndarray | None,
    ) -> np.ndarray:
        """(b, t) ids of the maskable units: words (``word_ids``, None or -1 for tokens in no word),
        with every ``span_groups`` span merged into one unit; -1 where a token is a unit of its own."""
        if not self.whole_word_mask:
            unit_rows: list = [[-1] * n for n in lengths]  # every token a unit of its own
        elif spans is None:
            try:  # the common case, no None in any row: straight into numpy
                return pad_rows_numpy(rows["word_ids"], length, valid, -1, "word_ids")
            except TypeError:
                unit_rows = rows["word_ids"]
        else:
            unit_rows = rows["word_ids"]
        unit_rows = [
            row.tolist() if type(row) is torch.Tensor else [-1 if w is None else w for w in row]
            for row in unit_rows
        ]
        if spans is not None:
            unit_rows = [
                _group_spans(row, row_spans, i)
                for i, (row, row_spans) in enumerate(zip(unit_rows, spans, strict=True))
            ]
        return pad_rows_numpy(unit_rows, length, valid, -1, "word_ids")

    def __call__(
        self, features: Sequence[dict[str, Any]] | Sequence[Sequence[int] | torch.Tensor]
    ) -> dict[str, torch.Tensor]:
        rows, extras = self._gather(features)
        lengths = row_lengths(rows["input_ids"])
        for key, rows_of_key in rows.items():
            if key == "input_ids":
                continue
            for index, (found, length) in enumerate(zip(row_lengths(rows_of_key), lengths, strict=True)):
                if found != length:
                    raise ValueError(f"feature {index} has {found} {key} but {length} input_ids")
        if self.whole_word_mask and "word_ids" not in rows:
            raise ValueError(
                "whole_word_mask=True needs 'word_ids' in every feature (per-token word index); "
                "Trainer drops the columns its model's forward does not take, so keep them with "
                "TrainingArguments(remove_unused_columns=False)"
            )

        shortest = min(lengths)
        if shortest == 0:
            raise empty_row_error(lengths.index(0))
        length = max(lengths)
        if self.pad_to_multiple_of is not None:
            length = -(-length // self.pad_to_multiple_of) * self.pad_to_multiple_of
        # Rows of one length (fixed-length pretraining) need no padding mask at all. The batch is
        # built in numpy (1-3 us an operation here, 5-20 us in torch) and handed over as tensors.
        valid = None if shortest == length else np.arange(length) < np.array(lengths)[:, None]  # (b, t)

        input_ids = pad_rows_numpy(rows["input_ids"], length, valid, self.pad_token_id, "input_ids")  # (b, t)
        # ufunc reductions: ndarray.min/max go through Python-level wrappers, a few us a call here.
        low, high = int(np.minimum.reduce(input_ids, axis=None)), int(np.maximum.reduce(input_ids, axis=None))
        if low < 0 or high >= self.vocab_size:
            raise ValueError(
                f"token id {low if low < 0 else high} is outside [0, vocab_size={self.vocab_size})"
            )

        # Padding positions hold pad_token_id, which the table excludes already.
        candidates = self._is_candidate[input_ids]  # (b, t)
        if "attention_mask" in rows:
            attention_mask = pad_rows_numpy(
                rows["attention_mask"], length, valid, 0, "attention_mask"
            )  # (b, t)
            check_mask_values(attention_mask)
            real = (attention_mask != 0) & (input_ids != self.pad_token_id)
            candidates &= real
        else:
            real = input_ids != self.pad_token_id  # (b, t)
            attention_mask = real.astype(np.int64)
        if "special_tokens_mask" in rows:
            special = pad_rows_numpy(rows["special_tokens_mask"], length, valid, 1, "special_tokens_mask")
            check_mask_values(special, "special_tokens_mask")
            candidates &= special == 0

        generator = self._rng.get(
            torch.from_numpy(input_ids) if self._rng.keyed else None
        )  # keyed: hashes the ids
        counts = bert_count_table(length, self.mlm_probability, self.max_predictions)  # (t + 1,)
        num_to_predict = counts[np.add.reduce(real, axis=1)]  # (b,)
        spans = extras.pop("span_groups", None)
        if self.whole_word_mask or spans is not None:
            word_ids = self._unit_ids(rows, lengths, spans, length, valid)  # (b, t)
            selected = whole_word_mask(word_ids, candidates, num_to_predict, generator)  # (b, t)
        elif self.sample_with_replacement:
            selected = with_replacement_mask(candidates, num_to_predict, generator)  # (b, t)
        else:
            selected = exact_count_mask(candidates, num_to_predict, generator)  # (b, t)
        masked_ids, labels = mask_replace(
            input_ids,
            selected,
            mask_token_id=self.mask_token_id,
            replacement_ids=self._replacement_ids,
            mask_prob=self.mask_replace_prob,
            random_prob=self.random_replace_prob,
            generator=generator,
        )

        batch = {
            "input_ids": torch.from_numpy(masked_ids),
            "attention_mask": torch.from_numpy(attention_mask),
            "labels": torch.from_numpy(labels),
        }
        if "token_type_ids" in rows:
            batch["token_type_ids"] = torch.from_numpy(
                pad_rows_numpy(rows["token_type_ids"], length, valid, 0, "token_type_ids")
            )  # (b, t)
        for key, values in extras.items():
            batch[key] = _stack_passthrough(key, values)
        return batch
