"""T5 span corruption (Raffel et al. 2020 §3.1.4, §3.3): random noise spans -> unique sentinels.

Reference: google-research/text-to-text-transfer-transformer ``t5/data/preprocessors.py``:
``span_corruption`` (noise density 0.15, mean span length 3), ``random_spans_helper`` (the raw
chunk length that yields exactly ``inputs_length`` encoded tokens including EOS: 568 raw tokens ->
512 inputs, 114 targets), ``random_spans_noise_mask`` (the span layout), and
``noise_span_to_unique_sentinel`` / ``nonnoise_span_to_unique_sentinel`` (sentinels in decreasing
id order from ``vocab_size - 1``: the first span gets ``<extra_id_0>``); ``reduce_concat_tokens`` +
``split_tokens`` (documents concatenated without separator, then cut into raw chunks); EOS is
appended to inputs and targets afterwards (``t5/data/tasks.py``, seqio ``append_eos_after_trim``).
Golden values from ``t5/data/preprocessors_test.py``.

Shapes: b = chunks in the batch, t = inputs length, s = targets length, L = raw chunk length.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from hf_ssl.objectives.rng import CollatorRNG
from hf_ssl.objectives.rows import check_int, check_rate, decoder_batch, pad_rows, read_documents
from hf_ssl.objectives.tokenizer_fields import accepts_tokenizer, construct, describe_tokenizer, token_ids

logger = logging.getLogger(__name__)

__all__ = [
    "SpanCorruptionCollator",
    "compute_input_and_target_lengths",
    "noise_span_to_unique_sentinel",
    "nonnoise_span_to_unique_sentinel",
    "random_spans_helper",
    "random_spans_noise_mask",
    "t5_sentinel_ids",
]

_EXTRA_ID = re.compile(r"^<extra_id_(\d+)>$")


def random_spans_helper(
    inputs_length: int,
    noise_density: float = 0.15,
    mean_noise_span_length: float = 3.0,
    extra_tokens_per_span_inputs: int = 1,
    extra_tokens_per_span_targets: int = 1,
) -> tuple[int, int]:
    """(raw tokens per chunk, targets length incl. EOS) so a chunk encodes to ``inputs_length`` incl. EOS.

    T5's ``random_spans_helper``, Python ``round`` as there: ``(512, .15, 3) -> (568, 114)``.
    """
    check_int("inputs_length", inputs_length, low=2)
    check_rate("noise_density", noise_density)
    if not mean_noise_span_length > 0:
        raise ValueError(f"mean_noise_span_length must be > 0, got {mean_noise_span_length!r}")

    def lengths(tokens_length: int) -> tuple[int, int]:
        num_noise_tokens = round(tokens_length * noise_density)
        num_nonnoise_tokens = tokens_length - num_noise_tokens
        num_noise_spans = round(num_noise_tokens / mean_noise_span_length)
        # Inputs hold every non-noise token, one sentinel per span and EOS; targets the converse.
        return (
            num_nonnoise_tokens + num_noise_spans * extra_tokens_per_span_inputs + 1,
            num_noise_tokens + num_noise_spans * extra_tokens_per_span_targets + 1,
        )

    tokens_length = inputs_length - 1
    while lengths(tokens_length + 1)[0] <= inputs_length:
        tokens_length += 1
    _, targets_length = lengths(tokens_length)
    # T5's own hack: at density 0.5 keep the targets no longer than the (round) inputs length.
    if noise_density == 0.5 and targets_length > inputs_length:
        tokens_length -= 1
        targets_length -= 1
    return tokens_length, targets_length


compute_input_and_target_lengths = random_spans_helper
"""The name transformers' Flax T5 pretraining example gives ``random_spans_helper``."""


def _round_f32(value: float) -> int:
    # T5 computes the counts in float32 with tf.round (half to even); torch.round matches both.
    return int(torch.round(torch.tensor(value, dtype=torch.float32)))


def noise_counts(length: int, noise_density: float, mean_noise_span_length: float) -> tuple[int, int]:
    """(noise tokens, noise spans) of ``random_spans_noise_mask`` for a sequence of ``length``.

    A positive density gives T5's counts, at least one noise token and one span; a density of 0
    gives none (T5 would still corrupt one token, which makes "no noise" impossible to ask for).
    """
    if noise_density == 0:
        return 0, 0
    length = max(length, 2)  # T5: "increase length to avoid degeneracy"
    density = torch.tensor(noise_density, dtype=torch.float32)
    num_noise = int(torch.round(torch.tensor(length, dtype=torch.float32) * density))
    num_noise = min(max(num_noise, 1), length - 1)
    mean = torch.tensor(mean_noise_span_length, dtype=torch.float32)
    num_spans = max(int(torch.round(torch.tensor(num_noise, dtype=torch.float32) / mean)), 1)
    return num_noise, num_spans


def _random_segmentation(
    num_items: int, num_segments: int, generator: torch.Generator | None
) -> torch.Tensor:
    """Uniformly random composition of ``num_items`` into ``num_segments`` positive parts (sum = items)."""
    boundaries = torch.zeros(num_items - 1, dtype=torch.long)  # (num_items - 1,)
    boundaries[: num_segments - 1] = 1
    boundaries = boundaries[torch.randperm(num_items - 1, generator=generator)]
    first_in_segment = torch.cat([torch.zeros(1, dtype=torch.long), boundaries])  # (num_items,)
    segment_id = first_in_segment.cumsum(0)
    return torch.bincount(segment_id, minlength=num_segments)  # (num_segments,)


def random_spans_noise_mask(
    length: int,
    noise_density: float = 0.15,
    mean_noise_span_length: float = 3.0,
    *,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """T5's noise mask (L,): ``round(L * density)`` noise tokens (clipped to [1, L-1]) in
    ``max(1, round(noise / mean))`` spans, alternating non-noise / noise starting with non-noise,
    so the mask always ends in a noise span; all such masks are equally likely. Density 0: no noise.
    """
    check_int("length", length)
    check_rate("noise_density", noise_density)
    if not mean_noise_span_length > 0:
        raise ValueError(f"mean_noise_span_length must be > 0, got {mean_noise_span_length!r}")
    original_length, length = length, max(length, 2)
    num_noise, num_spans = noise_counts(length, noise_density, mean_noise_span_length)
    if num_noise == 0:
        return torch.zeros(original_length, dtype=torch.bool)
    num_nonnoise = length - num_noise
    if num_spans > num_nonnoise:
        raise ValueError(
            f"{num_spans} noise spans need as many non-noise tokens, but length={length} at "
            f"noise_density={noise_density} leaves {num_nonnoise}: lower the density or raise "
            f"mean_noise_span_length={mean_noise_span_length}"
        )
    noise_lengths = _random_segmentation(num_noise, num_spans, generator)  # (spans,)
    nonnoise_lengths = _random_segmentation(num_nonnoise, num_spans, generator)  # (spans,)
    interleaved = torch.stack([nonnoise_lengths, noise_lengths], dim=1).reshape(-1)  # (2 * spans,)
    span_starts = interleaved.cumsum(0)[:-1]  # (2 * spans - 1,)
    indicator = torch.zeros(length, dtype=torch.long).index_add_(0, span_starts, torch.ones_like(span_starts))
    is_noise = indicator.cumsum(0) % 2 == 1  # (L,)
    return is_noise[:original_length]


def t5_sentinel_ids(vocab_size: int, count: int = 100) -> list[int]:
    """T5's default sentinels: ``vocab_size - 1`` for the first span, then decreasing ids."""
    check_int("vocab_size", vocab_size, low=1)
    return list(range(vocab_size - 1, max(vocab_size - 1 - count, -1), -1))


def noise_span_to_unique_sentinel(
    tokens: torch.Tensor, noise_mask: torch.Tensor, sentinel_ids: Sequence[int]
) -> torch.Tensor:
    """Replace the k-th run of noise tokens by ``sentinel_ids[k]``; (L,) -> (L - noise + spans,)."""
    if tokens.dim() != 1 or noise_mask.shape != tokens.shape or noise_mask.dtype != torch.bool:
        raise ValueError(
            f"tokens must be 1-D and noise_mask a bool tensor of the same shape, got "
            f"{tuple(tokens.shape)} and {tuple(noise_mask.shape)} {noise_mask.dtype}"
        )
    previous_is_noise = torch.nn.functional.pad(noise_mask[:-1], (1, 0))  # (L,)
    first_noise = noise_mask & ~previous_is_noise
    subsequent_noise = noise_mask & previous_is_noise
    num_spans = int(first_noise.sum())
    if num_spans > len(sentinel_ids):
        raise ValueError(f"{num_spans} noise spans but only {len(sentinel_ids)} sentinel ids")
    span_index = first_noise.long().cumsum(0) - 1  # (L,)
    sentinels = torch.tensor(list(sentinel_ids[:num_spans]) or [0], dtype=tokens.dtype)
    replaced = torch.where(first_noise, sentinels[span_index.clamp(min=0)], tokens)
    return replaced[~subsequent_noise]


def nonnoise_span_to_unique_sentinel(
    tokens: torch.Tensor, noise_mask: torch.Tensor, sentinel_ids: Sequence[int]
) -> torch.Tensor:
    """The targets: every non-noise run replaced by a sentinel, the noise tokens kept."""
    return noise_span_to_unique_sentinel(tokens, ~noise_mask, sentinel_ids)


def _sentinels_from_tokenizer(tokenizer: Any) -> list[int]:
    """Ids of ``<extra_id_N>`` ordered by N, else the extra special tokens in their listed order."""
    vocab = tokenizer.get_vocab()
    numbered = sorted(
        (int(match.group(1)), index) for token, index in vocab.items() if (match := _EXTRA_ID.match(token))
    )
    if numbered:
        return [index for _, index in numbered]
    extra = list(
        getattr(tokenizer, "extra_special_tokens", None)
        or getattr(tokenizer, "additional_special_tokens", None)
        or []
    )
    return [int(i) for i in tokenizer.convert_tokens_to_ids(extra)] if extra else []


@accepts_tokenizer
@dataclass
class SpanCorruptionCollator:
    """T5 span corruption: concatenate the batch's documents, cut raw chunks, corrupt each one.

    Every full chunk has ``raw_length`` tokens (``random_spans_helper``), so its inputs are exactly
    ``inputs_length`` tokens (non-noise tokens, one sentinel per noise span, EOS) and its targets
    ``targets_length`` (``<extra_id_0>`` span1 ``<extra_id_1>`` span2 ... EOS; the layout ends in a
    noise span, so no trailing sentinel). The batch therefore has one row per chunk, not per
    feature. Documents are joined without a separator, as T5's ``reduce_concat_tokens``: pass ids
    without EOS (``tokenizer(..., add_special_tokens=False)``); EOS is appended here.

    The leftover tokens after the last full chunk form one shorter example, padded to the fixed
    shapes, as T5's ``split_tokens`` keeps them; ``drop_remainder=True`` drops them instead (then a
    batch with fewer than ``raw_length`` tokens raises).

    Sentinels: ``sentinel_ids[k]`` replaces the k-th span; by default T5's ``vocab_size - 1``,
    ``vocab_size - 2``, ... (``<extra_id_0>`` = 32099 in the 32,100-id T5 vocabulary).
    ``tokenizer=`` (keyword only) fills ``pad_token_id``, ``eos_token_id`` and ``sentinel_ids`` (its
    ``<extra_id_N>`` tokens); fields passed explicitly win.

    Returns input_ids (b, t), attention_mask (b, t), labels (b, s) with IGNORE_INDEX on padding,
    decoder_input_ids (b, s) = labels shifted right behind ``decoder_start_token_id`` (T5: pad = 0),
    decoder_attention_mask (b, s).
    """

    inputs_length: int = 512
    noise_density: float = 0.15
    mean_noise_span_length: float = 3.0
    pad_token_id: int = 0
    eos_token_id: int = 1
    decoder_start_token_id: int | None = None
    vocab_size: int | None = None
    sentinel_ids: Sequence[int] | None = None
    drop_remainder: bool = False
    seed: int | None = None
    raw_length: int = field(init=False)
    targets_length: int = field(init=False)
    _rng: CollatorRNG = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        check_int("pad_token_id", self.pad_token_id)
        check_int("eos_token_id", self.eos_token_id)
        if self.decoder_start_token_id is None:
            self.decoder_start_token_id = self.pad_token_id
        check_int("decoder_start_token_id", self.decoder_start_token_id)
        self.raw_length, _ = random_spans_helper(
            self.inputs_length, self.noise_density, self.mean_noise_span_length
        )
        # Size the outputs with the mask's own float32 counts, which decide the actual lengths.
        num_noise, num_spans = noise_counts(self.raw_length, self.noise_density, self.mean_noise_span_length)
        if num_spans > self.raw_length - num_noise:
            raise ValueError(
                f"noise_density={self.noise_density} with mean_noise_span_length="
                f"{self.mean_noise_span_length} gives more spans than non-noise tokens"
            )
        encoded_inputs = self.raw_length - num_noise + num_spans + 1
        if encoded_inputs > self.inputs_length:
            raise ValueError(
                f"inputs_length={self.inputs_length} hits a float32 rounding edge of T5's counts "
                f"({encoded_inputs} encoded tokens); choose another inputs_length"
            )
        self.targets_length = num_noise + num_spans + 1
        if self.sentinel_ids is None:
            if self.vocab_size is None:
                raise ValueError("give vocab_size (T5's sentinels are its last ids) or sentinel_ids")
            check_int("vocab_size", self.vocab_size, low=2)
            self.sentinel_ids = t5_sentinel_ids(self.vocab_size, num_spans)
        else:
            self.sentinel_ids = tuple(check_int("sentinel_ids[]", int(i)) for i in self.sentinel_ids)
        if len(self.sentinel_ids) < num_spans:
            raise ValueError(
                f"a {self.raw_length}-token chunk has {num_spans} noise spans but only "
                f"{len(self.sentinel_ids)} sentinel ids were given"
            )
        if len(set(self.sentinel_ids)) != len(self.sentinel_ids):
            raise ValueError(f"sentinel_ids must be distinct, got {list(self.sentinel_ids)[:10]}...")
        clashes = {self.pad_token_id, self.eos_token_id} & set(self.sentinel_ids)
        if clashes:
            raise ValueError(f"sentinel_ids include pad/eos id(s) {sorted(clashes)}")
        self._rng = CollatorRNG(self.seed)

    @classmethod
    def _tokenizer_fields(cls, tokenizer: Any, given: Mapping[str, Any]) -> dict[str, Any]:
        """Pad and eos ids, and the sentinels (``<extra_id_N>`` by N) unless ``sentinel_ids`` is given."""
        fields: dict[str, Any] = token_ids(tokenizer, ("pad", "eos"), given, "span corruption")
        if "sentinel_ids" not in given:
            sentinels = _sentinels_from_tokenizer(tokenizer)
            if not sentinels:
                raise ValueError(
                    f"tokenizer {describe_tokenizer(tokenizer)} has no <extra_id_N> sentinel tokens; add them, e.g. "
                    "tokenizer.add_special_tokens({'extra_special_tokens': [f'<extra_id_{i}>' for i in range(100)]}), "
                    "or pass sentinel_ids"
                )
            fields["sentinel_ids"] = sentinels
        return fields

    @classmethod
    def from_tokenizer(cls, tokenizer: Any, **kwargs: Any) -> SpanCorruptionCollator:
        """``SpanCorruptionCollator(tokenizer=tokenizer, **kwargs)``: ids from the tokenizer, ``kwargs`` win."""
        return construct(cls, tokenizer, **kwargs)

    def chunks(self, documents: Sequence[Sequence[int]]) -> list[list[int]]:
        """Concatenate documents and cut them into raw chunks of ``raw_length`` (the last maybe shorter)."""
        stream = [token for document in documents for token in document]
        pieces = [stream[start : start + self.raw_length] for start in range(0, len(stream), self.raw_length)]
        if self.drop_remainder and pieces and len(pieces[-1]) < self.raw_length:
            pieces.pop()
        if not pieces:
            raise ValueError(
                f"the batch holds {len(stream)} tokens, fewer than one {self.raw_length}-token chunk "
                f"(inputs_length={self.inputs_length}) with drop_remainder=True; batch more documents"
            )
        return pieces

    def __call__(self, features: Sequence[Any]) -> dict[str, torch.Tensor]:
        documents = read_documents(features)
        sentinels = set(self.sentinel_ids or ())
        for index, document in enumerate(documents):
            clash = sentinels.intersection(document)
            if clash:
                raise ValueError(
                    f"feature {index} holds token id {min(clash)}, which is also a sentinel: a corrupted "
                    "input could not be told from the text; give sentinel ids the text never uses "
                    "(T5 reserves the vocabulary's last 100 ids, <extra_id_0> ... <extra_id_99>)"
                )
        generator = self._rng.get(documents)
        assert self.sentinel_ids is not None and self.decoder_start_token_id is not None
        inputs, targets = [], []
        for chunk in self.chunks(documents):
            tokens = torch.tensor(chunk, dtype=torch.long)  # (L,)
            noise = random_spans_noise_mask(
                len(chunk), self.noise_density, self.mean_noise_span_length, generator=generator
            )  # (L,)
            inputs.append(
                [*noise_span_to_unique_sentinel(tokens, noise, self.sentinel_ids).tolist(), self.eos_token_id]
            )
            # Density 0 asks for no noise: nothing to restore, the target is EOS alone. (A one-token
            # chunk has no noise either, but T5 still gives it a sentinel target.)
            restored: list[int] = (
                []
                if self.noise_density == 0
                else nonnoise_span_to_unique_sentinel(tokens, noise, self.sentinel_ids).tolist()
            )
            targets.append([*restored, self.eos_token_id])
        input_ids, valid = pad_rows(inputs, self.pad_token_id, self.inputs_length)  # (b, t)
        batch = {"input_ids": input_ids, "attention_mask": valid.long()}
        batch.update(
            decoder_batch(
                targets,
                pad_token_id=self.pad_token_id,
                decoder_start_token_id=self.decoder_start_token_id,
                length=self.targets_length,
            )
        )  # (b, s) each
        return batch
