"""MASS masked sequence-to-sequence collator (Song et al. 2019 §2.2): mask one span, decode only it.

Reference: microsoft/MASS ``MASS-unsupNMT/src/trainer.py``: ``restricted_mask_sent`` (span of
``round(len * word_mass)`` tokens, word_mass = 0.5), ``shuffle_segments`` (the span sits at the start
of the sentence 20% of the time, at the end 20%, anywhere 60%), ``unfold_segments`` (position 0,
the start token, is never masked), ``mask_word`` (80% [MASK], 10% kept, 10% random: pred_probs),
and ``mass_step``: the decoder input is ``words[pos - 1]`` (the span shifted right by one, original
tokens), its positions ``pos - 1`` (the original absolute positions of those input tokens), the
targets ``words[pos]``; the loss covers only the span.

Encoder-decoder attention: ``mass_step`` passes ``enc_mask = x1 != mask_index``, so the decoder's
cross-attention skips the encoder's [MASK] positions (padding is skipped through the lengths). With
``mask_cross_attention=True`` the collator returns that mask as ``cross_attention_mask`` (b, t),
the key hf_ssl's BART and MASS models take for the encoder positions the decoder may read; other
models do not accept it, so it is off by default.

Deliberate differences: MASS computes the span length from the padded batch length (its batches
are length-bucketed); here each sentence uses its own length. Random replacements come from the
non-special vocabulary (MASS draws ``randint(n_words)``, specials included).

Shapes: b = batch size, t = padded encoder length, m = padded span length.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from hf_ssl.constants import IGNORE_INDEX
from hf_ssl.objectives.noise import apply_mask_replace
from hf_ssl.objectives.rng import CollatorRNG
from hf_ssl.objectives.rows import check_int, check_rate, pad_rows, read_documents, replacement_ids, round_up
from hf_ssl.objectives.tokenizer_fields import accepts_tokenizer, construct, token_ids

__all__ = ["MaskedSeq2SeqCollator", "mass_span_lengths", "sample_mass_spans"]

# shuffle_segments: p >= 0.8 puts the span first, 0.6 <= p < 0.8 last, otherwise anywhere.
_AT_START_FROM = 0.8
_AT_END_FROM = 0.6


def mass_span_lengths(lengths: torch.Tensor, mask_ratio: float = 0.5) -> torch.Tensor:
    """``round(L * mask_ratio)`` (half to even, as Python's ``round``) per sentence; (b,) -> (b,)."""
    spans = torch.round(lengths.to(torch.float64) * mask_ratio).long()  # (b,)
    bad = (spans < 1) | (spans > lengths - 1)
    if bad.any():
        length = int(lengths[bad][0])
        raise ValueError(
            f"a sentence of {length} tokens at mask_ratio={mask_ratio} gets a span of "
            f"{int(spans[bad][0])}; it must be in [1, length - 1] (position 0 is never masked)"
        )
    return spans


def sample_mass_spans(
    lengths: torch.Tensor, mask_ratio: float = 0.5, *, generator: torch.Generator | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """(starts, span lengths) (b,) each: start 1 w.p. 0.2, ``L - span`` w.p. 0.2, else uniform in [1, L - span]."""
    spans = mass_span_lengths(lengths, mask_ratio)  # (b,)
    slots = lengths - spans  # (b,) possible starts 1 .. L - span
    placement = torch.rand(lengths.shape, generator=generator, dtype=torch.float64)  # (b,)
    anywhere = (
        torch.rand(lengths.shape, generator=generator, dtype=torch.float64) * slots
    ).long() + 1  # (b,)
    starts = torch.where(placement >= _AT_START_FROM, torch.ones_like(slots), anywhere)
    starts = torch.where((placement >= _AT_END_FROM) & (placement < _AT_START_FROM), slots, starts)
    return starts, spans


@accepts_tokenizer
@dataclass
class MaskedSeq2SeqCollator:
    """MASS batches: encoder input with one masked span; the decoder sees and predicts only the span.

    Features: sentences of ids (lists, 1-D tensors or ``{"input_ids": ...}``), start token first.
    Returns input_ids (b, t) with the span 80/10/10 [MASK]/kept/random, attention_mask (b, t),
    decoder_input_ids (b, m) = the original tokens before each span position, decoder_position_ids
    (b, m) = their 0-based positions in the sentence, decoder_attention_mask (b, m), labels (b, m) =
    the span (IGNORE_INDEX on padding), and ``cross_attention_mask`` with ``mask_cross_attention``.
    The decoder holds no position outside the span, so nothing outside it is predicted.

    ``tokenizer=`` (keyword only) fills ``vocab_size`` (``len(tokenizer)``), ``mask_token_id``,
    ``pad_token_id`` and ``special_token_ids`` (``all_special_ids``); fields passed explicitly win.
    """

    vocab_size: int
    mask_token_id: int
    pad_token_id: int
    special_token_ids: Sequence[int] = ()
    mask_ratio: float = 0.5
    mask_replace_prob: float = 0.8
    random_replace_prob: float = 0.1
    mask_cross_attention: bool = False
    pad_to_multiple_of: int | None = None
    seed: int | None = None
    _rng: CollatorRNG = field(init=False, repr=False, compare=False)
    _random_ids: torch.Tensor = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        check_int("vocab_size", self.vocab_size, low=1)
        check_int("mask_token_id", self.mask_token_id, high=self.vocab_size)
        check_int("pad_token_id", self.pad_token_id, high=self.vocab_size)
        self.special_token_ids = tuple(
            check_int("special_token_ids[]", i, high=self.vocab_size) for i in self.special_token_ids
        )
        check_rate("mask_ratio", self.mask_ratio)
        check_rate("mask_replace_prob", self.mask_replace_prob)
        check_rate("random_replace_prob", self.random_replace_prob)
        if self.mask_replace_prob + self.random_replace_prob > 1.0:
            raise ValueError(
                "mask_replace_prob + random_replace_prob must be <= 1, got "
                f"{self.mask_replace_prob} + {self.random_replace_prob}"
            )
        if self.pad_to_multiple_of is not None:
            check_int("pad_to_multiple_of", self.pad_to_multiple_of, low=1)
        specials = {*self.special_token_ids, self.mask_token_id, self.pad_token_id}
        self._random_ids = replacement_ids(self.vocab_size, sorted(specials))
        if self.random_replace_prob > 0 and self._random_ids.numel() == 0:
            raise ValueError(f"every id in [0, {self.vocab_size}) is special: set random_replace_prob=0")
        self._rng = CollatorRNG(self.seed)

    @classmethod
    def _tokenizer_fields(cls, tokenizer: Any, given: Mapping[str, Any]) -> dict[str, Any]:
        """Mask/pad ids, every special id and ``len(tokenizer)`` (see ``accepts_tokenizer``)."""
        fields: dict[str, Any] = token_ids(tokenizer, ("mask", "pad"), given, "MASS")
        fields.update(vocab_size=len(tokenizer), special_token_ids=tuple(tokenizer.all_special_ids))
        return fields

    @classmethod
    def from_tokenizer(cls, tokenizer: Any, **kwargs: Any) -> MaskedSeq2SeqCollator:
        """``MaskedSeq2SeqCollator(tokenizer=tokenizer, **kwargs)``: ids from the tokenizer, ``kwargs`` win."""
        return construct(cls, tokenizer, **kwargs)

    def __call__(self, features: Sequence[Any]) -> dict[str, torch.Tensor]:
        sentences = read_documents(features)
        for index, sentence in enumerate(sentences):
            if len(sentence) < 2:
                raise ValueError(
                    f"feature {index} has {len(sentence)} token(s); MASS needs >= 2 (start token + span)"
                )
            bad = [t for t in sentence if not 0 <= t < self.vocab_size]
            if bad:
                raise ValueError(
                    f"feature {index} has token id {bad[0]} outside [0, vocab_size={self.vocab_size})"
                )
        generator = self._rng.get()
        lengths = torch.tensor([len(s) for s in sentences])  # (b,)
        starts, spans = sample_mass_spans(lengths, self.mask_ratio, generator=generator)  # (b,) each

        width = round_up(int(lengths.max()), self.pad_to_multiple_of)
        original, valid = pad_rows(sentences, self.pad_token_id, width)  # (b, t)
        columns = torch.arange(width)  # (t,)
        in_span = (columns >= starts.unsqueeze(1)) & (columns < (starts + spans).unsqueeze(1))  # (b, t)
        input_ids, _ = apply_mask_replace(
            original,
            in_span,
            mask_token_id=self.mask_token_id,
            replacement_ids=self._random_ids,
            mask_prob=self.mask_replace_prob,
            random_prob=self.random_replace_prob,
            generator=generator,
        )  # (b, t)

        span_width = round_up(int(spans.max()), self.pad_to_multiple_of)
        offsets = torch.arange(span_width)  # (m,)
        decoder_valid = offsets < spans.unsqueeze(1)  # (b, m)
        positions = (starts.unsqueeze(1) + offsets).clamp(max=width - 1)  # (b, m) span positions
        labels = original.gather(1, positions).masked_fill(~decoder_valid, IGNORE_INDEX)  # (b, m)
        decoder_position_ids = (positions - 1).masked_fill(~decoder_valid, 0)  # (b, m)
        decoder_input_ids = original.gather(1, positions - 1).masked_fill(~decoder_valid, self.pad_token_id)

        batch = {
            "input_ids": input_ids,
            "attention_mask": valid.long(),
            "decoder_input_ids": decoder_input_ids,
            "decoder_attention_mask": decoder_valid.long(),
            "decoder_position_ids": decoder_position_ids,
            "labels": labels,
        }
        if self.mask_cross_attention:
            batch["cross_attention_mask"] = (valid & (input_ids != self.mask_token_id)).long()  # (b, t)
        return batch
