"""Prefix language modelling collator for a decoder-only prefix LM (Raffel et al. 2020 §3.2.1).

The prefix is fully visible and the rest causal; the loss covers only the part after the prefix.
Split point as T5's ``random_prefix_noise_mask`` (google-research/text-to-text-transfer-transformer
``t5/data/preprocessors.py``; used by ``prefix_lm`` with noise density 0.5): the prefix length is
uniform in [1, L-1], so at least one token is predicted. Or the split is given: features with
``inputs`` and ``targets`` (a task's prompt and answer) become ``inputs + targets`` with the prefix
ending where the targets begin.

``prefix_lengths`` (b,) counts the visible prefix tokens of each row, the meaning
``hf_ssl.layers.masks.causal_mask(prefix_lengths=...)`` gives it (key ``kv < prefix_lengths[b]``
visible to every query). ``labels`` are aligned with ``input_ids`` as in CausalLMCollator: the model
shifts them, so the first target token is predicted from the last prefix position.

Shapes: b = batch size, t = padded length.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from hf_ssl.constants import IGNORE_INDEX
from hf_ssl.objectives.rng import CollatorRNG
from hf_ssl.objectives.rows import as_id_list, check_int, pad_rows, read_document, round_up
from hf_ssl.objectives.tokenizer_fields import accepts_tokenizer, causal_lm_fields, construct

__all__ = ["PrefixLMCollator", "random_prefix_lengths"]


def random_prefix_lengths(lengths: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Prefix length per row, uniform in [1, L-1] as T5's ``random_prefix_noise_mask``; (b,) -> (b,)."""
    if lengths.dim() != 1 or lengths.dtype.is_floating_point:
        raise ValueError(f"lengths must be a 1-D integer tensor, got {lengths.dtype} {tuple(lengths.shape)}")
    if (lengths < 2).any():
        bad = int(lengths[lengths < 2][0])
        raise ValueError(
            f"a sequence of {bad} token(s) cannot be split into a prefix and a target (need >= 2)"
        )
    draws = torch.rand(lengths.shape, generator=generator, dtype=torch.float64)  # (b,)
    return (draws * (lengths - 1)).long() + 1  # (b,)


@accepts_tokenizer
@dataclass
class PrefixLMCollator:
    """Pads a batch for a prefix LM: input_ids, attention_mask, prefix_lengths (b,), labels.

    Features: plain ids / ``{"input_ids": ...}`` (a random split per example, fresh on every
    call) or ``{"inputs": ..., "targets": ...}`` (the given split); one batch may mix both.
    ``eos_token_id``, when set, is appended after the targets (T5 appends EOS to its targets).
    ``labels`` are IGNORE_INDEX on the prefix and on padding. ``tokenizer=`` (keyword only) fills
    ``pad_token_id`` (its pad, else its eos) and ``eos_token_id``; fields passed explicitly win.
    """

    pad_token_id: int
    eos_token_id: int | None = None
    pad_to_multiple_of: int | None = None
    seed: int | None = None
    _rng: CollatorRNG = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        check_int("pad_token_id", self.pad_token_id)
        if self.eos_token_id is not None:
            check_int("eos_token_id", self.eos_token_id)
        if self.pad_to_multiple_of is not None:
            check_int("pad_to_multiple_of", self.pad_to_multiple_of, low=1)
        self._rng = CollatorRNG(self.seed)

    @classmethod
    def _tokenizer_fields(cls, tokenizer: Any, given: Mapping[str, Any]) -> dict[str, Any]:
        return causal_lm_fields(tokenizer, given)

    @classmethod
    def from_tokenizer(cls, tokenizer: Any, **kwargs: Any) -> PrefixLMCollator:
        """``PrefixLMCollator(tokenizer=tokenizer, **kwargs)``: ids from the tokenizer, ``kwargs`` win."""
        return construct(cls, tokenizer, **kwargs)

    def __call__(self, features: Sequence[Any]) -> dict[str, torch.Tensor]:
        if isinstance(features, dict) or not isinstance(features, Sequence) or len(features) == 0:
            raise ValueError(f"features must be a non-empty list of examples, got {features!r:.80}")
        rows: list[list[int]] = []
        given: list[int | None] = []  # prefix length when the split is given, else None
        for index, feature in enumerate(features):
            if isinstance(feature, dict) and ("inputs" in feature or "targets" in feature):
                if "inputs" not in feature or "targets" not in feature:
                    raise ValueError(
                        f"feature {index} needs both 'inputs' and 'targets', got keys {sorted(feature)}"
                    )
                prefix = as_id_list(feature["inputs"], index, "inputs")
                target = as_id_list(feature["targets"], index, "targets")
                if not prefix or not target:
                    raise ValueError(
                        f"feature {index} has {len(prefix)} input and {len(target)} target tokens; need >= 1 each"
                    )
                rows.append(prefix + target)
                given.append(len(prefix))
            else:
                row = read_document(feature, index)  # trimmed to its attention_mask
                if len(row) < 2:
                    raise ValueError(
                        f"feature {index} has {len(row)} token(s); a random split needs >= 2 (prefix and target)"
                    )
                rows.append(row)
                given.append(None)

        lengths = torch.tensor([len(row) for row in rows])  # (b,)
        prefix_lengths = random_prefix_lengths(lengths, self._rng.get(rows))  # (b,)
        for index, value in enumerate(given):
            if value is not None:
                prefix_lengths[index] = value
        if self.eos_token_id is not None:
            rows = [[*row, self.eos_token_id] for row in rows]
        width = round_up(max(len(row) for row in rows), self.pad_to_multiple_of)
        input_ids, valid = pad_rows(rows, self.pad_token_id, width)  # (b, t)
        in_prefix = torch.arange(width) < prefix_lengths.unsqueeze(1)  # (b, t)
        labels = input_ids.masked_fill(in_prefix | ~valid, IGNORE_INDEX)
        return {
            "input_ids": input_ids,
            "attention_mask": valid.long(),
            "prefix_lengths": prefix_lengths,
            "labels": labels,
        }
