"""BART denoising (Lewis et al. 2020 §2.2): corrupt a document, have the decoder restore it.

Reference: facebookresearch/fairseq ``fairseq/data/denoising_dataset.py`` (``DenoisingDataset``:
noise order ``permute_sentences`` -> ``add_whole_word_mask`` -> ``add_insertion_noise`` ->
``add_rolling_noise``; Poisson span distribution truncated at k < 128 or p < 1e-7; ``collate`` with
``move_eos_to_beginning``) and ``fairseq/tasks/denoising.py`` (arguments and defaults). The paper's
five noises are settings of the same pipeline:

=====================  ===========================================================================
paper noise            settings here (fairseq argument)
=====================  ===========================================================================
token masking          ``mask_length="subword", replace_length=1`` (``--mask-length subword``)
token deletion         ``mask_length="subword", replace_length=0``
text infilling         ``mask_length="span-poisson", replace_length=1``: each span -> one <mask>,
                       a 0-length span inserts a <mask>
sentence permutation   ``permute_sentence_ratio`` (``--permute-sentences``)
document rotation      ``rotate_ratio`` (``--rotate``)
=====================  ===========================================================================

plus ``mask_random_ratio`` (``--mask-random``: a span's <mask> becomes a random token) and
``insert_ratio`` (``--insert``). ``replace_length=-1`` masks every token of a span.

Defaults. fairseq's task defaults are a no-op (``mask=0, mask_random=0, insert=0, rotate=0.5,
permute_sentences=0, poisson_lambda=3, mask_length=subword, replace_length=0``). The defaults here
are BART-large's pretraining arguments (Mike Lewis in facebookresearch/fairseq#1899: ``--mask 0.3
--mask-random 0.1 --mask-length span-poisson --replace-length 1 --permute-sentences 1 --rotate 0
--insert 0 --poisson-lambda 3.5``) except ``poisson_lambda=3.0``, the paper's value (§2.2);
``BART_LARGE_NOISE`` holds the released model's arguments exactly.

Followed from fairseq, quirks included: the mask budget is ``ceil(word_starts * mask_ratio)`` in
float32 (so 100 tokens at 0.3 give 31, 10 give 3), counted in words when a word-start table is given (``word_start_mask``, fairseq's
``mask_whole_words``; spans then cover whole words) and in tokens otherwise; spans start at random
distinct word starts, never at the first or last token, may run into each other, and stop before
the final token; the rotation offset is uniform in [1, L-1], so offsets 1 and L-1 leave the
document unchanged; 0-length spans become ``ceil(L' * (k / L'))`` insertions.
Deliberate difference: random tokens (``mask_random``, insertions) are drawn from the non-special
vocabulary, where fairseq's ``randint(1, len(vocab))`` can insert <pad>, </s>, <unk> or <mask>.

Shapes: b = batch size, t = padded source length, s = padded target length, L = document length.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import torch

from hf_ssl.objectives.rng import CollatorRNG
from hf_ssl.objectives.rows import (
    check_int,
    check_rate,
    decoder_batch,
    pad_rows,
    read_documents,
    replacement_ids,
    round_up,
)
from hf_ssl.objectives.tokenizer_fields import accepts_tokenizer, construct, token_ids

logger = logging.getLogger(__name__)

__all__ = [
    "BART_LARGE_NOISE",
    "DenoisingCollator",
    "insert_noise",
    "mask_spans",
    "permute_sentences",
    "poisson_span_distribution",
    "rotate_document",
    "sample_span_lengths",
    "word_start_mask_from_tokenizer",
]

BART_LARGE_NOISE: dict[str, Any] = {
    "mask_ratio": 0.3,
    "mask_random_ratio": 0.1,
    "mask_length": "span-poisson",
    "poisson_lambda": 3.5,
    "replace_length": 1,
    "permute_sentence_ratio": 1.0,
    "rotate_ratio": 0.0,
    "insert_ratio": 0.0,
}
"""fairseq arguments BART-large was pretrained with (facebookresearch/fairseq#1899)."""

# fairseq truncates the Poisson pmf here (denoising_dataset.py, DenoisingDataset.__init__).
_POISSON_MAX_K = 128
_POISSON_MIN_P = 1e-7
# Marks the last token as "a very long word", so no span runs over the end of the document.
_END_OF_DOCUMENT = 255

MaskLength = Literal["subword", "word", "span-poisson"]


def poisson_span_distribution(poisson_lambda: float) -> torch.Tensor:
    """fairseq's span-length pmf over k = 0, 1, ...: Poisson(lambda), cut at k < 128 or p < 1e-7."""
    if not poisson_lambda > 0:
        raise ValueError(f"poisson_lambda must be > 0, got {poisson_lambda!r}")
    probabilities, power, factorial = [], 1.0, 1.0
    for k in range(_POISSON_MAX_K):
        probabilities.append(math.exp(-poisson_lambda) * power / factorial)
        power *= poisson_lambda
        factorial *= k + 1
        if probabilities[-1] < _POISSON_MIN_P:
            break
    return torch.tensor(probabilities, dtype=torch.float32)


def _random_tokens(count: int, choices: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    if count and choices.numel() == 0:
        raise ValueError("a random replacement is needed but every vocabulary id is special")
    picks = torch.randint(max(choices.numel(), 1), (count,), generator=generator)  # (count,)
    return choices[picks] if count else torch.zeros(0, dtype=torch.long)


def permute_sentences(
    tokens: torch.Tensor,
    full_stop_token_id: int,
    ratio: float = 1.0,
    *,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Shuffle ``ceil(n * ratio)`` of the n sentences between <s> and </s>; (L,) -> (L,).

    A sentence ends after a full stop whose previous token is not one; the token before </s> is
    treated as a full stop, so the tail is a sentence too (fairseq ``permute_sentences``).
    """
    full_stops = tokens == full_stop_token_id  # (L,)
    if tokens.numel() < 3:
        return tokens.clone()
    full_stops[-2] = True
    sentence_ends = (full_stops[1:] & ~full_stops[:-1]).nonzero().squeeze(1) + 2  # (n,)
    num_sentences = sentence_ends.numel()
    num_to_permute = math.ceil((num_sentences * 2 * ratio) / 2.0)
    substitutions = torch.randperm(num_sentences, generator=generator)[:num_to_permute]
    ordering = torch.arange(num_sentences)
    ordering[substitutions] = substitutions[torch.randperm(num_to_permute, generator=generator)]
    result = tokens.clone()
    index = 1  # <s> stays first
    for i in ordering.tolist():
        start = int(sentence_ends[i - 1]) if i > 0 else 1
        sentence = tokens[start : int(sentence_ends[i])]
        result[index : index + sentence.numel()] = sentence
        index += sentence.numel()
    return result


def insert_noise(
    tokens: torch.Tensor,
    num_insertions: int,
    *,
    mask_token_id: int,
    random_ratio: float,
    random_ids: torch.Tensor,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Insert ``n`` tokens at random inner positions, ``ceil(n * random_ratio)`` random, the rest <mask>.

    (L,) -> (L + n,); the first and last positions of the result keep <s> and </s>.
    """
    if num_insertions <= 0:
        return tokens
    length, n = tokens.numel(), num_insertions
    noise_indices = torch.randperm(length + n - 2, generator=generator)[:n] + 1  # (n,)
    noise_mask = torch.zeros(length + n, dtype=torch.bool)
    noise_mask[noise_indices] = True
    result = torch.full((length + n,), -1, dtype=torch.long)  # (L + n,)
    num_random = math.ceil(n * random_ratio)
    result[noise_indices[num_random:]] = mask_token_id
    result[noise_indices[:num_random]] = _random_tokens(num_random, random_ids, generator)
    result[~noise_mask] = tokens
    return result


def insertion_count(length: int, ratio: float) -> int:
    """fairseq's ``add_insertion_noise`` count: ``ceil(length * ratio)``."""
    return math.ceil(length * ratio) if ratio > 0 else 0


def sample_span_lengths(
    budget: int, span_distribution: torch.Tensor, *, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Span lengths (0s included) that sum to ``budget``: i.i.d. draws, the last one trimmed; (n,).

    fairseq draws ``budget`` lengths at a time until their sum covers the budget, then keeps the
    prefix that reaches it and trims its last length to fit exactly.
    """
    if span_distribution.dim() != 1 or not bool((span_distribution[1:] > 0).any()):
        # fairseq would loop forever on a pmf that never gives a positive length.
        raise ValueError(
            f"span_distribution must be a 1-D pmf over 0, 1, ... with mass above 0, got {span_distribution}"
        )
    lengths = torch.multinomial(span_distribution, budget, replacement=True, generator=generator)
    cumulative = lengths.cumsum(0)
    while cumulative[-1] < budget:
        more = torch.multinomial(span_distribution, budget, replacement=True, generator=generator)
        lengths = torch.cat([lengths, more])
        cumulative = lengths.cumsum(0)
    last = int((cumulative >= budget).nonzero()[0])  # the span that reaches the budget
    lengths[last] = budget - (0 if last == 0 else int(cumulative[last - 1]))
    return lengths[: last + 1]


def mask_spans(
    tokens: torch.Tensor,
    ratio: float,
    *,
    mask_token_id: int,
    word_starts: torch.Tensor | None = None,
    span_distribution: torch.Tensor | None = None,
    replace_length: int = 1,
    random_ratio: float = 0.0,
    random_ids: torch.Tensor | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """fairseq's ``add_whole_word_mask``: token masking/deletion and text infilling; (L,) -> (L',).

    ``word_starts`` (L,) bool marks the tokens a word begins with (all tokens when None); the
    budget is ``ceil(#word_starts * ratio)`` words. Span lengths are drawn from
    ``span_distribution`` (a pmf over 0, 1, ...; length 1 each when None), redrawn until they
    cover the budget, the last one trimmed; 0-length spans become <mask> insertions. Each span
    starts at a distinct random word start (never the first or last token) and extends word by
    word. ``replace_length`` 1: its first token becomes <mask> (or, with ``random_ratio``, a random
    token) and the rest are deleted; 0: all deleted; -1: every token masked.
    """
    if replace_length not in (-1, 0, 1):
        raise ValueError(f"replace_length must be -1, 0 or 1, got {replace_length!r}")
    length = tokens.numel()
    random_ids = torch.zeros(0, dtype=torch.long) if random_ids is None else random_ids
    is_word_start = (
        torch.ones(length, dtype=torch.long) if word_starts is None else word_starts.long().clone()
    )
    is_word_start[0] = 0
    is_word_start[-1] = 0
    # float32 as fairseq's tensor arithmetic: ceil(10 * 0.3) is 3 there, 4 in float64.
    num_to_mask = math.ceil(float(is_word_start.float().sum() * torch.tensor(ratio, dtype=torch.float32)))
    if num_to_mask == 0:
        return tokens.clone()

    num_inserts = 0
    if span_distribution is not None:
        lengths = sample_span_lengths(num_to_mask, span_distribution, generator=generator)
        num_spans = lengths.numel()
        lengths = lengths[lengths > 0]
        num_inserts = num_spans - lengths.numel()
        num_to_mask = lengths.numel()
        if num_to_mask == 0:
            count = insertion_count(length, num_inserts / length)
            return insert_noise(
                tokens.clone(),
                count,
                mask_token_id=mask_token_id,
                random_ratio=random_ratio,
                random_ids=random_ids,
                generator=generator,
            )
    else:
        lengths = torch.ones(num_to_mask, dtype=torch.long)

    candidates = is_word_start.nonzero().squeeze(1)  # (w,)
    indices = candidates[torch.randperm(candidates.numel(), generator=generator)[:num_to_mask]]  # (spans,)
    assert indices.numel() == lengths.numel(), "more spans than word starts"
    is_random = torch.rand(num_to_mask, generator=generator) < random_ratio  # (spans,)

    source = tokens.clone()
    to_keep = torch.ones(length, dtype=torch.bool)
    is_word_start[-1] = _END_OF_DOCUMENT
    if replace_length == 0:
        to_keep[indices] = False
    else:
        source[indices] = mask_token_id
        source[indices[is_random]] = _random_tokens(int(is_random.sum()), random_ids, generator)

    remaining = lengths - 1  # (spans,) words still to cover after the first
    while indices.numel() > 0:
        if span_distribution is not None:
            remaining = remaining - is_word_start[indices + 1]
            uncompleted = remaining >= 0
        else:  # one word per span: continue only over the word's continuation pieces
            uncompleted = is_word_start[indices + 1] == 0
        indices = indices[uncompleted] + 1
        is_random = is_random[uncompleted]
        remaining = remaining[uncompleted]
        if replace_length != -1:
            to_keep[indices] = False
        else:
            source[indices] = mask_token_id
            source[indices[is_random]] = _random_tokens(int(is_random.sum()), random_ids, generator)
        assert length - 1 not in indices.tolist(), "a span ran over </s>"

    source = source[to_keep]
    if num_inserts > 0:
        source = insert_noise(
            source,
            insertion_count(source.numel(), num_inserts / source.numel()),
            mask_token_id=mask_token_id,
            random_ratio=random_ratio,
            random_ids=random_ids,
            generator=generator,
        )
    return source


def rotate_document(tokens: torch.Tensor, *, generator: torch.Generator | None = None) -> torch.Tensor:
    """Rotate the tokens between <s> and </s> by an offset uniform in [1, L-1]; (L,) -> (L,)."""
    length = tokens.numel()
    offset = int(torch.randint(1, max(1, length - 1) + 1, (), generator=generator))
    return torch.cat([tokens[:1], tokens[offset:-1], tokens[1:offset], tokens[-1:]])


def word_start_mask_from_tokenizer(tokenizer: Any) -> torch.Tensor:
    """(V,) bool: does vocabulary id i begin a word? fairseq's ``get_whole_word_mask`` for HF tokenizers.

    Byte-level BPE (``Ġ``) and SentencePiece (``▁``) mark word starts; WordPiece marks continuations
    (``##``). Special tokens always count as word starts, as in fairseq.
    """
    size = len(tokenizer)
    tokens = tokenizer.convert_ids_to_tokens(list(range(size)))
    specials = set(tokenizer.all_special_ids)
    if any(isinstance(t, str) and t.startswith("##") for t in tokens):
        starts = [not (isinstance(t, str) and t.startswith("##")) for t in tokens]
    elif any(isinstance(t, str) and t[:1] in ("Ġ", "▁") for t in tokens):
        starts = [isinstance(t, str) and t[:1] in ("Ġ", "▁") for t in tokens]
    else:
        raise ValueError(
            f"cannot tell word starts in the vocabulary of {type(tokenizer).__name__}: no 'Ġ', '▁' or "
            "'##' tokens; pass word_start_mask or use mask_length='subword'"
        )
    return torch.tensor([start or i in specials for i, start in enumerate(starts)], dtype=torch.bool)


@accepts_tokenizer
@dataclass
class DenoisingCollator:
    """BART's noising over documents ``<s> ... </s>``; the target is the original document.

    Noise per document in fairseq's order: sentence permutation, span masking (token masking,
    deletion or text infilling per ``mask_length``/``replace_length``), insertion, rotation (with
    probability ``rotate_ratio``). ``full_stop_token_id`` ends sentences (fairseq: ``.`` for GPT-2
    BPE, else </s>; default here </s>, a tokenizer gives ``.`` when its vocabulary has it, since an
    HF document holds a single </s>). ``word_start_mask`` (V,) makes masks whole-word (a tokenizer
    gives it unless ``mask_length="subword"``).

    ``tokenizer=`` (keyword only) fills ``vocab_size`` (``len(tokenizer)``), the mask, bos, pad and
    eos ids, ``special_token_ids`` (``all_special_ids``), ``full_stop_token_id`` and
    ``word_start_mask``; fields passed explicitly win.

    Returns input_ids (b, t), attention_mask (b, t), labels (b, s) = the documents with
    IGNORE_INDEX on padding, decoder_input_ids (b, s) = labels shifted right behind
    ``decoder_start_token_id`` (</s> = 2 in BART, fairseq's ``move_eos_to_beginning``) and
    decoder_attention_mask (b, s).
    """

    vocab_size: int
    mask_token_id: int
    bos_token_id: int = 0
    pad_token_id: int = 1
    eos_token_id: int = 2
    decoder_start_token_id: int | None = None
    special_token_ids: Sequence[int] = ()
    mask_ratio: float = 0.3
    mask_random_ratio: float = 0.1
    mask_length: MaskLength = "span-poisson"
    poisson_lambda: float = 3.0
    replace_length: int = 1
    permute_sentence_ratio: float = 1.0
    rotate_ratio: float = 0.0
    insert_ratio: float = 0.0
    full_stop_token_id: int | None = None
    word_start_mask: Sequence[bool] | torch.Tensor | None = None
    pad_to_multiple_of: int | None = None
    seed: int | None = None
    _rng: CollatorRNG = field(init=False, repr=False, compare=False)
    _span_distribution: torch.Tensor | None = field(init=False, repr=False, compare=False)
    _random_ids: torch.Tensor = field(init=False, repr=False, compare=False)
    _word_starts: torch.Tensor | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        check_int("vocab_size", self.vocab_size, low=1)
        for name in ("mask_token_id", "bos_token_id", "pad_token_id", "eos_token_id"):
            check_int(name, getattr(self, name), high=self.vocab_size)
        if self.decoder_start_token_id is None:
            self.decoder_start_token_id = self.eos_token_id
        check_int("decoder_start_token_id", self.decoder_start_token_id, high=self.vocab_size)
        if self.full_stop_token_id is None:
            self.full_stop_token_id = self.eos_token_id
        check_int("full_stop_token_id", self.full_stop_token_id, high=self.vocab_size)
        self.special_token_ids = tuple(
            check_int("special_token_ids[]", i, high=self.vocab_size) for i in self.special_token_ids
        )
        for name in (
            "mask_ratio",
            "mask_random_ratio",
            "permute_sentence_ratio",
            "rotate_ratio",
            "insert_ratio",
        ):
            check_rate(name, getattr(self, name))
        if self.mask_length not in ("subword", "word", "span-poisson"):
            raise ValueError(
                f"mask_length must be 'subword', 'word' or 'span-poisson', got {self.mask_length!r}"
            )
        if self.replace_length not in (-1, 0, 1):
            raise ValueError(
                f"replace_length must be -1 (mask each token), 0 (delete) or 1, got {self.replace_length!r}"
            )
        if self.mask_length == "subword" and self.replace_length == -1:
            raise ValueError("mask_length='subword' takes replace_length 0 or 1 (as fairseq), got -1")
        if self.mask_length == "word" and self.word_start_mask is None:
            raise ValueError("mask_length='word' needs word_start_mask (or DenoisingCollator.from_tokenizer)")
        if self.pad_to_multiple_of is not None:
            check_int("pad_to_multiple_of", self.pad_to_multiple_of, low=1)

        self._span_distribution = (
            poisson_span_distribution(self.poisson_lambda) if self.mask_length == "span-poisson" else None
        )
        self._word_starts = None
        if self.word_start_mask is not None and self.mask_length != "subword":
            starts = torch.as_tensor(self.word_start_mask)
            if starts.shape != (self.vocab_size,):
                raise ValueError(
                    f"word_start_mask must have one entry per vocabulary id ({self.vocab_size}), got shape {tuple(starts.shape)}"
                )
            self._word_starts = starts.bool()
        specials = {
            *self.special_token_ids,
            self.mask_token_id,
            self.bos_token_id,
            self.pad_token_id,
            self.eos_token_id,
        }
        self._random_ids = replacement_ids(self.vocab_size, sorted(specials))
        needs_random = self.mask_random_ratio > 0 and (self.mask_ratio > 0 or self.insert_ratio > 0)
        if needs_random and self._random_ids.numel() == 0:
            raise ValueError(f"every id in [0, {self.vocab_size}) is special: set mask_random_ratio=0")
        self._rng = CollatorRNG(self.seed)

    @classmethod
    def _tokenizer_fields(cls, tokenizer: Any, given: Mapping[str, Any]) -> dict[str, Any]:
        """Mask/bos/pad/eos ids, every special id, ``len(tokenizer)``, ``.`` as full stop when the
        vocabulary has it, and the word starts unless ``mask_length="subword"`` or they are given."""
        fields: dict[str, Any] = token_ids(tokenizer, ("mask", "bos", "pad", "eos"), given, "BART denoising")
        fields.update(vocab_size=len(tokenizer), special_token_ids=tuple(tokenizer.all_special_ids))
        full_stop = tokenizer.get_vocab().get(".")
        if full_stop is not None:
            fields["full_stop_token_id"] = full_stop
        if given.get("mask_length", cls.mask_length) != "subword" and "word_start_mask" not in given:
            fields["word_start_mask"] = word_start_mask_from_tokenizer(tokenizer)
        return fields

    @classmethod
    def from_tokenizer(cls, tokenizer: Any, **kwargs: Any) -> DenoisingCollator:
        """``DenoisingCollator(tokenizer=tokenizer, **kwargs)``: ids from the tokenizer, ``kwargs`` win."""
        return construct(cls, tokenizer, **kwargs)

    def noise(self, document: Sequence[int], generator: torch.Generator | None = None) -> torch.Tensor:
        """The corrupted source of one ``<s> ... </s>`` document; (L,) -> (L',)."""
        tokens = torch.tensor(document, dtype=torch.long)  # (L,)
        if self.permute_sentence_ratio > 0:
            assert self.full_stop_token_id is not None
            tokens = permute_sentences(
                tokens, self.full_stop_token_id, self.permute_sentence_ratio, generator=generator
            )
        if self.mask_ratio > 0:
            word_starts = None if self._word_starts is None else self._word_starts[tokens]  # (L,)
            tokens = mask_spans(
                tokens,
                self.mask_ratio,
                mask_token_id=self.mask_token_id,
                word_starts=word_starts,
                span_distribution=self._span_distribution,
                replace_length=self.replace_length,
                random_ratio=self.mask_random_ratio,
                random_ids=self._random_ids,
                generator=generator,
            )
        if self.insert_ratio > 0:
            tokens = insert_noise(
                tokens,
                insertion_count(tokens.numel(), self.insert_ratio),
                mask_token_id=self.mask_token_id,
                random_ratio=self.mask_random_ratio,
                random_ids=self._random_ids,
                generator=generator,
            )
        if self.rotate_ratio > 0 and float(torch.rand((), generator=generator)) < self.rotate_ratio:
            tokens = rotate_document(tokens, generator=generator)
        return tokens

    def __call__(self, features: Sequence[Any]) -> dict[str, torch.Tensor]:
        documents = read_documents(features)
        for index, document in enumerate(documents):
            if len(document) < 2 or document[0] != self.bos_token_id or document[-1] != self.eos_token_id:
                raise ValueError(
                    f"feature {index} must be a document <s> ... </s> (first id bos={self.bos_token_id}, "
                    f"last id eos={self.eos_token_id}), got {document[:3]}...{document[-3:]} of length {len(document)}"
                )
            bad = [t for t in document if not 0 <= t < self.vocab_size]
            if bad:
                raise ValueError(
                    f"feature {index} has token id {bad[0]} outside [0, vocab_size={self.vocab_size})"
                )
        generator = self._rng.get()
        sources = [self.noise(document, generator).tolist() for document in documents]
        width = round_up(max(map(len, sources)), self.pad_to_multiple_of)
        input_ids, valid = pad_rows(sources, self.pad_token_id, width)  # (b, t)
        assert self.decoder_start_token_id is not None
        batch = {"input_ids": input_ids, "attention_mask": valid.long()}
        batch.update(
            decoder_batch(
                documents,
                pad_token_id=self.pad_token_id,
                decoder_start_token_id=self.decoder_start_token_id,
                length=round_up(max(map(len, documents)), self.pad_to_multiple_of),
            )
        )  # (b, s) each
        return batch
