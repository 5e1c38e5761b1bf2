"""XLNet's permutation language modelling with partial prediction, as a collator (Yang et al. 2019).

For a row of n tokens XLNet samples a factorization order z and predicts only its last tokens
(§2.3, "partial prediction"): about n/K of them (K = 6), chosen as spans of 1-5 tokens, each inside
a context of K times its length (Appendix A.2; reference `data_utils.py` `_sample_mask`, with span
length n drawn with probability proportional to 1/n). The order is then built as the reference's
`_local_perm` builds it:

- every non-target token comes first: it sees every other non-target (the context x_{z<=c}, read
  bidirectionally) and no target, so no target's content leaks into the context;
- the targets follow in a random order: each sees the context and the targets before it, never
  itself (its query stream must not see its own token);
- functional tokens (`special_token_ids`: <sep>, <cls>) are placed among the targets without being
  predicted, and see themselves.

Returned (b rows, t positions, m = most targets in a row):
- ``input_ids`` (b, t): unchanged (the content stream reads every real token; the query stream hides
  the target), ``attention_mask`` (b, t), ``token_type_ids`` when given;
- ``perm_mask`` (b, t, t) float: ``perm_mask[k, i, j] = 1`` when i may not attend to j;
- ``target_mapping`` (b, m, t) float: row p is one-hot at the p-th target (in position order);
- ``labels`` (b, m): the target ids, IGNORE_INDEX for rows with fewer targets than m.

transformers' `DataCollatorForPermutationLanguageModeling` differs: it draws span lengths
uniformly from 1-5, replaces targets in ``input_ids`` with <mask> (so a later target cannot read an
earlier one's content, unlike XLNet), lets every token see functional tokens, computes the query
stream at every position (``target_mapping`` is the t x t identity, labels -100 off target: t query
rows where the m ~ t/K targets need m), needs even lengths (its orders only shuffle position pairs), and predicts
no fixed count. The reference permutes within blocks of ``perm_size`` (the length reused as memory
by the next segment); without memory one block is the whole row, as here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from hf_ssl.constants import IGNORE_INDEX
from hf_ssl.objectives.rng import CollatorRNG
from hf_ssl.objectives.rows import as_id_list, check_int, pad_rows, read_document, round_up
from hf_ssl.objectives.tokenizer_fields import accepts_tokenizer, construct, pad_or_eos_id

__all__ = ["PermutationLMCollator", "permutation_mask", "sample_prediction_spans"]


def sample_prediction_spans(
    candidates: int, k: float, max_span_length: int, generator: torch.Generator
) -> np.ndarray:
    """Which of `candidates` consecutive positions to predict: (candidates,) bool.

    The reference's `_sample_mask`: walk the row drawing span lengths n in [1, max_span_length] with
    P(n) proportional to 1/n, each span at a uniform offset inside a context of round(n k) positions,
    until round(candidates / k) positions are chosen (at least 1); positions still missing when the row
    ends are drawn one by one from those left.
    """
    goal = max(1, round(candidates / k))
    chosen = np.zeros(candidates, dtype=bool)
    weights = 1.0 / torch.arange(1, max_span_length + 1, dtype=torch.float64)  # (max_span_length,)
    start = count = 0
    while start < candidates and count < goal:
        span = int(torch.multinomial(weights, 1, generator=generator)) + 1
        span = min(span, goal - count)
        context = max(span, round(span * k))
        before = int(torch.randint(context - span + 1, (1,), generator=generator))
        start += before
        if start + span > candidates:
            break
        chosen[start : start + span] = True
        count += span
        start += context - before
    if count < goal:  # top up with single positions, as the reference does
        free = np.flatnonzero(~chosen)
        picks = torch.randperm(len(free), generator=generator)[: goal - count].numpy()
        chosen[free[picks]] = True
    return chosen


def permutation_mask(is_target: np.ndarray, is_functional: np.ndarray, ranks: np.ndarray) -> np.ndarray:
    """The (t, t) bool mask of one row, True where position i may not attend to position j.

    `is_target`, `is_functional` (t,) bool; `ranks` (t,) ints, the order of the targets and functional
    tokens (lower comes first; other entries are ignored). The reference's `_local_perm` rule: the
    context gets rank -1, a target may not see its own rank, a functional token may.
    """
    hidden = is_target | is_functional  # what the context may not see (reference: masked_or_func_tokens)
    rank = np.where(hidden, ranks, -1)  # (t,)
    own = np.where(is_target, rank, rank + 1)  # a target's query sees strictly earlier ranks only
    return (own[:, None] <= rank[None, :]) & hidden[None, :]  # (t, t)


@accepts_tokenizer
@dataclass
class PermutationLMCollator:
    """Pads token rows and draws XLNet's partial-prediction permutation for each (see the module).

    Args:
        pad_token_id: id written into padding; padding is never predicted nor attended to.
        special_token_ids: functional tokens (<sep>, <cls>): placed in the order, never predicted.
        k: about 1/k of each row's non-functional tokens are predicted (XLNet: K = 6).
        max_span_length: the longest span of targets (XLNet: 5).
        pad_to_multiple_of: round the padded length up.
        seed: the collator's generator (None: nondeterministic); reseeded per DataLoader worker and
            DDP rank, or keyed by the batch for exact resumes, as every hf_ssl collator (CollatorRNG).
        tokenizer: (keyword only) fills ``pad_token_id`` and ``special_token_ids``; fields passed
            explicitly win.
    """

    pad_token_id: int
    special_token_ids: Sequence[int] = ()
    k: float = 6.0
    max_span_length: int = 5
    pad_to_multiple_of: int | None = None
    seed: int | None = None
    _rng: CollatorRNG = field(init=False, repr=False, compare=False)
    _special: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        check_int("pad_token_id", self.pad_token_id)
        self.special_token_ids = tuple(self.special_token_ids)
        for value in self.special_token_ids:
            check_int("special_token_ids", value)
        if isinstance(self.k, bool) or not isinstance(self.k, int | float) or not self.k >= 1:
            raise ValueError(f"k={self.k!r}; expected a number >= 1 (about 1/k of the tokens are predicted)")
        check_int("max_span_length", self.max_span_length, low=1)
        if self.pad_to_multiple_of is not None:
            check_int("pad_to_multiple_of", self.pad_to_multiple_of, low=1)
        self._special = np.array(sorted({*self.special_token_ids, self.pad_token_id}), dtype=np.int64)
        self._rng = CollatorRNG(self.seed)

    @classmethod
    def _tokenizer_fields(cls, tokenizer: Any, given: Mapping[str, Any]) -> dict[str, Any]:
        """The pad id (else eos) and every special id but <unk> (see ``accepts_tokenizer``)."""
        unk = getattr(tokenizer, "unk_token_id", None)
        fields: dict[str, Any] = {
            "special_token_ids": tuple(i for i in tokenizer.all_special_ids if i != unk)
        }
        if "pad_token_id" not in given:
            fields["pad_token_id"] = pad_or_eos_id(tokenizer)
        return fields

    @classmethod
    def from_tokenizer(cls, tokenizer: Any, **kwargs: Any) -> PermutationLMCollator:
        """``PermutationLMCollator(tokenizer=tokenizer, **kwargs)``: ids from the tokenizer, ``kwargs`` win."""
        return construct(cls, tokenizer, **kwargs)

    def __call__(self, features: Sequence[Any]) -> dict[str, torch.Tensor]:
        if isinstance(features, dict) or not isinstance(features, Sequence) or len(features) == 0:
            raise ValueError(f"features must be a non-empty list of examples, got {features!r:.80}")
        rows = [read_document(feature, index) for index, feature in enumerate(features)]
        width = round_up(max(map(len, rows)), self.pad_to_multiple_of)
        input_ids, real = pad_rows(rows, self.pad_token_id, width)  # (b, t) each
        generator = self._rng.get(rows)
        functional = np.isin(input_ids.numpy(), self._special) & real.numpy()  # (b, t)
        batch, length = input_ids.shape
        perm_mask = np.ones((batch, length, length), dtype=bool)  # padding: seen by no one
        targets: list[np.ndarray] = []
        for row in range(batch):
            candidates = np.flatnonzero(real[row].numpy() & ~functional[row])  # (n,)
            is_target = np.zeros(length, dtype=bool)
            if len(candidates):
                picked = sample_prediction_spans(len(candidates), self.k, self.max_span_length, generator)
                is_target[candidates[picked]] = True
            ranks = torch.randperm(length, generator=generator).numpy()  # (t,) the order of z>c
            size = int(real[row].sum())
            perm_mask[row, :size, :size] = permutation_mask(
                is_target[:size], functional[row, :size], ranks[:size]
            )
            targets.append(np.flatnonzero(is_target))
        most = max(1, max(map(len, targets)))
        target_mapping = torch.zeros(batch, most, length)
        labels = torch.full((batch, most), IGNORE_INDEX, dtype=torch.long)
        for row, positions in enumerate(targets):
            index = torch.from_numpy(positions)
            target_mapping[row, torch.arange(len(positions)), index] = 1.0
            labels[row, : len(positions)] = input_ids[row, index]
        batch_out = {
            "input_ids": input_ids,
            "attention_mask": real.long(),
            "perm_mask": torch.from_numpy(perm_mask).float(),
            "target_mapping": target_mapping,
            "labels": labels,
        }
        if isinstance(features[0], Mapping) and "token_type_ids" in features[0]:
            batch_out["token_type_ids"] = pad_rows(
                [_segments(f, i) for i, f in enumerate(features)], 0, width
            )[0]
        return batch_out


def _segments(feature: Mapping[str, Any], index: int) -> list[int]:
    """A feature's token_type_ids, kept where its attention_mask keeps its tokens (read_document)."""
    types = as_id_list(feature["token_type_ids"], index, "token_type_ids")
    mask = feature.get("attention_mask")
    if mask is None:
        return types
    keep = as_id_list(mask, index, "attention_mask")
    if len(keep) != len(types):
        raise ValueError(f"feature {index} has {len(types)} token_type_ids for {len(keep)} attention_mask")
    return [segment for segment, kept in zip(types, keep, strict=True) if kept]
