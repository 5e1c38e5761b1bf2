"""CBOW collator (word2vec): token-id documents in, context windows + centre words + negatives out.

Follows tmikolov/word2vec `word2vec.c` (TrainModelThread, `cbow` branch):
- frequent-word subsampling drops a word before windows are built, with keep probability
  `(sqrt(f / (s·N)) + 1) · s·N / f` (f the word's count, N all counts, s the `-sample` threshold), so
  windows reach past dropped words, as in the C code;
- the dynamic window: each centre draws `b` uniform in [0, window) and looks `window - b` words each
  way (nearer words weigh more on average; Mikolov et al. 2013a §3.1, Goldberg & Levy 2014);
- windows stop at document edges (word2vec's sentence boundaries); the slots beyond are padded and
  masked; a centre with no context at all is skipped (`if (cw)` in the C code);
- negatives come from the unigram distribution raised to 3/4 (Mikolov et al. 2013b §2.2).

Deliberate difference: word2vec skips a negative that equals the centre word (`if (target == word)
continue`), which leaves that row with fewer negatives; here it is redrawn, so every row has exactly
`num_negatives` negatives, all different from its centre (exact rejection sampling).

Shapes: n centre words in the batch, c = 2·window context slots, k negatives, V vocabulary.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from hf_ssl.objectives.rng import CollatorRNG
from hf_ssl.objectives.rows import read_document
from hf_ssl.objectives.tokenizer_fields import accepts_tokenizer, construct, describe_tokenizer

__all__ = [
    "CBOWCollator",
    "context_windows",
    "count_tokens",
    "sample_negatives",
    "subsample_keep_probability",
    "unigram_distribution",
]

UNIGRAM_POWER = 0.75
"""Exponent of the negative-sampling distribution (Mikolov et al. 2013b §2.2; word2vec.c InitUnigramTable)."""

MAX_REDRAWS = 100
"""Rejection rounds for negatives equal to their centre; each round redraws only the collisions."""


def count_tokens(documents: Iterable[Sequence[int]], vocab_size: int) -> torch.Tensor:
    """Frequency of every id in `documents` -> (V,) counts, what the collator's distributions need."""
    counts = torch.zeros(vocab_size, dtype=torch.long)
    for index, document in enumerate(documents):
        ids = torch.as_tensor(list(document), dtype=torch.long)
        if ids.numel() and (int(ids.min()) < 0 or int(ids.max()) >= vocab_size):
            raise ValueError(f"document {index} holds ids outside [0, vocab_size={vocab_size})")
        counts += torch.bincount(ids, minlength=vocab_size)
    return counts


def unigram_distribution(
    counts: torch.Tensor, power: float = UNIGRAM_POWER, exclude: Sequence[int] = ()
) -> torch.Tensor:
    """counts (V,) -> probabilities (V,) proportional to counts**power, zero on `exclude`."""
    weights = counts.double().clamp(min=0) ** power
    weights[list(exclude)] = 0
    total = weights.sum()
    if total <= 0:
        raise ValueError("counts are zero for every word that may be drawn; count a corpus first")
    return weights / total


def subsample_keep_probability(counts: torch.Tensor, threshold: float) -> torch.Tensor:
    """word2vec.c's keep probability per word (V,), capped at 1; unseen words keep probability 1."""
    scaled = threshold * counts.sum().double()
    frequency = counts.double().clamp(min=1)
    keep = ((frequency / scaled).sqrt() + 1) * scaled / frequency
    return keep.clamp(max=1.0)


def context_windows(
    ids: torch.Tensor, window: int, radii: torch.Tensor, pad_token_id: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Context of every position of one document.

    ids (n,), radii (n,) in [1, window] -> context ids (n, 2·window) laid out as the `window` words
    before the centre (farthest first) then the `window` words after it, and a mask (n, 2·window)
    that is 1 where the slot is inside the document and within the centre's radius.
    """
    n = ids.shape[0]
    offsets = torch.cat([torch.arange(-window, 0), torch.arange(1, window + 1)])  # (c,)
    positions = torch.arange(n).unsqueeze(1) + offsets  # (n, c)
    inside = (positions >= 0) & (positions < n) & (offsets.abs() <= radii.unsqueeze(1))  # (n, c)
    context = ids[positions.clamp(0, max(n - 1, 0))].masked_fill(~inside, pad_token_id)  # (n, c)
    return context, inside.long()


def sample_negatives(
    probabilities: torch.Tensor,
    centres: torch.Tensor,
    num_negatives: int,
    generator: torch.Generator,
    avoid_centre: bool = True,
) -> torch.Tensor:
    """Draw (n, k) negatives from `probabilities` (V,); with `avoid_centre`, none equals its row's centre."""
    n = centres.shape[0]
    draws = torch.multinomial(probabilities.float(), n * num_negatives, replacement=True, generator=generator)
    negatives = draws.view(n, num_negatives)  # (n, k)
    if not avoid_centre:
        return negatives
    for _ in range(MAX_REDRAWS):
        clash = negatives.eq(centres.unsqueeze(1))  # (n, k)
        count = int(clash.sum())
        if count == 0:
            return negatives
        negatives[clash] = torch.multinomial(
            probabilities.float(), count, replacement=True, generator=generator
        )
    raise ValueError(
        f"negatives still equal their centre after {MAX_REDRAWS} redraws: the sampling distribution "
        "puts (almost) all its mass on one word; count a larger corpus"
    )


@accepts_tokenizer
@dataclass
class CBOWCollator:
    """Turns a batch of token-id documents (sentences) into CBOW training examples, one per centre word.

    Features are lists of ids (or 1-D tensors, or dicts with `input_ids`); each whole document yields
    one example per (kept) word, so the batch size in centre words varies with document length, as in
    word2vec's sentence-by-sentence training. Returns `input_ids` and `attention_mask` (n, 2·window),
    `labels` (n,) the centre words and, when `num_negatives` > 0, `negative_ids` (n, k).

    Args:
        counts: (V,) word counts of the training corpus (`count_tokens`); needed for negatives and
            subsampling. Its length is the vocabulary size.
        window: largest distance of a context word (word2vec `-window`).
        num_negatives: negatives per centre (0 for the full-softmax loss).
        dynamic_window: draw each centre's radius uniformly in [1, window], as word2vec does.
        subsample_threshold: word2vec `-sample` (1e-3 in the tool, 1e-5 in the paper); None keeps all.
        pad_token_id: fills masked context slots.
        special_token_ids: dropped from documents before windows ([CLS], [SEP], ...) and never drawn.
        avoid_centre: never draw a centre word as its own negative.
        seed: seeds the collator's own generator; None seeds it nondeterministically.
        tokenizer: (keyword only) fills `pad_token_id` and `special_token_ids` (`all_special_ids`);
            fields passed explicitly win. `counts` is still needed (or use `from_tokenizer`).
    """

    counts: Sequence[int] | torch.Tensor
    window: int = 5
    num_negatives: int = 5
    dynamic_window: bool = True
    subsample_threshold: float | None = None
    pad_token_id: int = 0
    special_token_ids: Sequence[int] = ()
    avoid_centre: bool = True
    unigram_power: float = UNIGRAM_POWER
    seed: int | None = None
    _counts: torch.Tensor = field(init=False, repr=False, compare=False)
    _negative_probabilities: torch.Tensor | None = field(init=False, repr=False, compare=False)
    _keep: torch.Tensor | None = field(init=False, repr=False, compare=False)
    _special: torch.Tensor = field(init=False, repr=False, compare=False)
    _generator: CollatorRNG = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        counts = torch.as_tensor(self.counts)
        if counts.dim() != 1 or counts.numel() == 0 or counts.is_floating_point() or bool((counts < 0).any()):
            raise ValueError(f"counts must be a non-empty 1-D sequence of ints >= 0, got {self.counts!r:.80}")
        self._counts = counts.long()
        vocab_size = counts.numel()
        for name in ("window", "num_negatives"):
            value = getattr(self, name)
            minimum = 1 if name == "window" else 0
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
        if not 0 <= self.pad_token_id < vocab_size:
            raise ValueError(
                f"pad_token_id must be in [0, vocab_size={vocab_size}), got {self.pad_token_id!r}"
            )
        specials = sorted({int(i) for i in self.special_token_ids})
        if any(not 0 <= i < vocab_size for i in specials):
            raise ValueError(f"special_token_ids must lie in [0, vocab_size={vocab_size}), got {specials}")
        self._special = torch.zeros(vocab_size, dtype=torch.bool)
        self._special[specials] = True
        self._negative_probabilities = None
        if self.num_negatives:
            excluded = [*specials, self.pad_token_id]
            self._negative_probabilities = unigram_distribution(self._counts, self.unigram_power, excluded)
            if self.avoid_centre and int((self._negative_probabilities > 0).sum()) < 2:
                raise ValueError("negatives that avoid the centre need at least 2 counted non-special words")
        self._keep = None
        if self.subsample_threshold is not None:
            if not (isinstance(self.subsample_threshold, float) and 0 < self.subsample_threshold < 1):
                raise ValueError(
                    f"subsample_threshold must be None or a float in (0, 1), got {self.subsample_threshold!r}"
                )
            self._keep = subsample_keep_probability(self._counts, self.subsample_threshold)
        self._generator = CollatorRNG(self.seed)

    @property
    def vocab_size(self) -> int:
        return self._counts.numel()

    @classmethod
    def _tokenizer_fields(cls, tokenizer: Any, given: Mapping[str, Any]) -> dict[str, Any]:
        """Pad id (0 when the tokenizer has none) and every special id; ``counts`` must be given."""
        if "counts" not in given:
            raise TypeError(
                f"CBOWCollator needs counts, word counts of a corpus, which tokenizer "
                f"{describe_tokenizer(tokenizer)} cannot supply: pass counts=count_tokens(documents, "
                "len(tokenizer)) or use CBOWCollator.from_tokenizer(tokenizer, documents)"
            )
        pad = getattr(tokenizer, "pad_token_id", None)
        return {
            "pad_token_id": pad if pad is not None else 0,
            "special_token_ids": tuple(tokenizer.all_special_ids),
        }

    @classmethod
    def from_tokenizer(
        cls, tokenizer: Any, documents: Iterable[Sequence[int]], **kwargs: Any
    ) -> CBOWCollator:
        """Count `documents` (token ids) over `len(tokenizer)` words; pad and special ids from the tokenizer."""
        if "counts" not in kwargs:
            kwargs["counts"] = count_tokens(documents, len(tokenizer))
        return construct(cls, tokenizer, **kwargs)

    def _document(self, feature: Any, index: int) -> torch.Tensor:
        """One document's ids (trimmed to its attention_mask), checked, with special tokens dropped
        (before any subsampling)."""
        text = feature.get("input_ids") if isinstance(feature, dict) else feature
        if isinstance(text, str | bytes):
            raise TypeError(f"feature {index} is text; CBOWCollator takes token ids (tokenize first)")
        ids = torch.tensor(read_document(feature, index), dtype=torch.long)  # (n,)
        if ids.numel() and (int(ids.min()) < 0 or int(ids.max()) >= self.vocab_size):
            raise ValueError(f"feature {index} holds ids outside [0, vocab_size={self.vocab_size})")
        return ids[~self._special[ids]]

    def __call__(self, features: Sequence[Any]) -> dict[str, torch.Tensor]:
        if isinstance(features, dict) or not isinstance(features, Sequence) or len(features) == 0:
            raise ValueError(f"features must be a non-empty list of documents, got {features!r:.80}")
        documents = [self._document(feature, index) for index, feature in enumerate(features)]
        # One generator for the whole batch: the shared stream (reseeded per DataLoader worker and
        # DDP rank), or in keyed mode (hf_ssl.trainer.ResumableNoiseCallback) one seeded from
        # (seed, epoch, this batch's ids), so a resumed run draws what the uninterrupted one did.
        generator = self._generator.get(
            [ids.tolist() for ids in documents] if self._generator.keyed else None
        )
        contexts, masks, centres = [], [], []
        for ids in documents:
            if self._keep is not None and ids.numel():
                kept = torch.rand(ids.shape, generator=generator, dtype=torch.float64) < self._keep[ids]
                ids = ids[kept]
            if ids.numel() < 2:
                continue  # no word of this document has a context
            if self.dynamic_window:
                # word2vec.c: b = next_random % window; the centre looks window - b words each way.
                radii = self.window - torch.randint(0, self.window, ids.shape, generator=generator)
            else:
                radii = torch.full(ids.shape, self.window)
            context, mask = context_windows(ids, self.window, radii, self.pad_token_id)  # (n, c)
            has_context = mask.any(1)
            contexts.append(context[has_context])
            masks.append(mask[has_context])
            centres.append(ids[has_context])
        if not centres:
            raise ValueError("no document in this batch has two words left to make a window from")
        batch = {
            "input_ids": torch.cat(contexts),  # (n, c)
            "attention_mask": torch.cat(masks),  # (n, c)
            "labels": torch.cat(centres),  # (n,)
        }
        if self.num_negatives:
            assert self._negative_probabilities is not None
            batch["negative_ids"] = sample_negatives(
                self._negative_probabilities,
                batch["labels"],
                self.num_negatives,
                generator,
                self.avoid_centre,
            )  # (n, k)
        return batch
