"""Noise samplers for masked-LM objectives: pure functions, tensor in, tensor out.

Each sampler takes a ``torch.Generator`` and touches no global state, so the collators stay
reproducible and the samplers can be property-tested on their own.

The public functions take and return tensors. ``exact_count_mask``, ``whole_word_mask`` and
``mask_replace`` are their numpy cores, which collators call directly: at collator sizes (a few thousand tokens) a numpy
operation costs 1-3 us and a torch one 5-20 us, and a batch takes a dozen of them. Uniforms still
come from the ``torch.Generator`` (``torch.rand(...).numpy()`` shares memory), so seeding, keyed
noise and resumes are unchanged.

References:
- google-research/bert ``create_pretraining_data.py``: the per-sequence prediction count
  (:369-370), whole-word candidates (:359-363), skipping a word that would overflow the budget
  (:379-380), and the 80/10/10 replacement drawn per selected token (:391-401).
- facebookresearch/fairseq ``fairseq/data/mask_tokens_dataset.py``: selection without replacement
  (:141-148) and random replacements drawn from the non-special vocabulary only (:95-101).

Shapes: b = batch size, t = sequence length, u = number of words (maskable units) in a row.
"""

from __future__ import annotations

import functools

import numpy as np
import torch

from hf_ssl.constants import IGNORE_INDEX

__all__ = [
    "apply_mask_replace",
    "bert_count_table",
    "bert_counts",
    "bert_num_to_predict",
    "exact_count_mask",
    "mask_replace",
    "select_exact_count",
    "select_whole_words",
    "whole_word_mask",
    "with_replacement_mask",
]

# A uniform score is always < 1, so this ranks every non-candidate after every candidate.
_NOT_A_CANDIDATE_SCORE = 2.0


def _uniform(shape: tuple[int, ...], generator: torch.Generator | None) -> np.ndarray:
    """float32 uniforms in [0, 1) from ``generator`` (the global one when None), as a numpy array."""
    return torch.rand(shape, generator=generator).numpy()


def _check_batch(name: str, tensor: torch.Tensor, dtype: torch.dtype | None = None) -> None:
    if not isinstance(tensor, torch.Tensor) or tensor.dim() != 2:
        shape = tuple(tensor.shape) if isinstance(tensor, torch.Tensor) else type(tensor).__name__
        raise ValueError(f"{name} must be a 2-D (batch, length) tensor, got {shape}")
    if dtype is not None and tensor.dtype != dtype:
        raise TypeError(f"{name} must have dtype {dtype}, got {tensor.dtype}")


def _check_counts(num_to_select: torch.Tensor, batch_size: int) -> None:
    if not isinstance(num_to_select, torch.Tensor) or num_to_select.shape != (batch_size,):
        shape = tuple(num_to_select.shape) if isinstance(num_to_select, torch.Tensor) else num_to_select
        raise ValueError(f"num_to_select must be a 1-D tensor of {batch_size} counts, got {shape}")
    if num_to_select.dtype.is_floating_point or num_to_select.dtype == torch.bool:
        raise TypeError(f"num_to_select must be an integer tensor, got {num_to_select.dtype}")


def _check_probability(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be in [0, 1], got {value}")


def bert_num_to_predict(
    num_tokens: torch.Tensor, probability: float, max_predictions: int | None = None
) -> torch.Tensor:
    """BERT's fixed prediction count: ``min(max_predictions, max(1, round(num_tokens * p)))``.

    ``num_tokens`` counts every non-pad token of a row *including* [CLS] and [SEP], as BERT's
    ``len(tokens)`` does (create_pretraining_data.py:369-370). BERT calls Python 3 ``round``,
    which rounds half to even; ``numpy.rint`` does the same, and the product is taken in float64
    so it is bit-identical to Python's float arithmetic (``round(10 * 0.15) == 2``,
    ``round(30 * 0.15) == 4``). Note the floor of 1: even ``probability=0`` predicts one token.
    """
    return torch.from_numpy(bert_counts(num_tokens.cpu().numpy(), probability, max_predictions))


def bert_counts(num_tokens: np.ndarray, probability: float, max_predictions: int | None = None) -> np.ndarray:
    """numpy core of ``bert_num_to_predict``: (b,) token counts -> (b,) int64 prediction counts.

    ``numpy.rint`` rounds half to even, as Python 3's ``round``. A positive rate predicts at least
    one token a row, BERT's ``max(1, ...)`` (create_pretraining_data.py:352); a rate of 0 predicts none.
    """
    _check_probability("probability", probability)
    if max_predictions is not None and max_predictions < 1:
        raise ValueError(f"max_predictions must be None or >= 1, got {max_predictions}")
    counts = np.rint(num_tokens.astype(np.float64) * probability).astype(np.int64)  # (b,)
    if probability > 0:
        counts = np.maximum(counts, 1)
    return counts if max_predictions is None else np.minimum(counts, max_predictions)


@functools.cache
def bert_count_table(length: int, probability: float, max_predictions: int | None = None) -> np.ndarray:
    """``bert_counts`` of every token count 0..length, read-only: a collator indexes it per batch."""
    table = bert_counts(np.arange(length + 1), probability, max_predictions)  # (length + 1,)
    table.setflags(write=False)
    return table


def exact_count_mask(
    candidates: np.ndarray, counts: np.ndarray, generator: torch.Generator | None = None
) -> np.ndarray:
    """numpy core of ``select_exact_count``: candidates (b, t) bool, counts (b,) ints in [0, t] ->
    (b, t) bool, the ``min(k, candidates)`` lowest-scored candidates of each row.

    Every candidate gets a uniform score, non-candidates score 2; one sort of the (b, t) float32
    scores (cheaper than a per-row partition) gives each row's ``k``-th smallest, and the row keeps
    the scores up to it. A row that does not end up with exactly ``k`` tokens is redone on its own:
    a tie on the ``k``-th score (float32 uniforms have 24 bits: about once in 10^5 rows; the lower
    positions among the tied are kept), fewer candidates than ``k``, or ``k = 0``.
    """
    batch_size, length = candidates.shape
    if batch_size == 0 or length == 0:
        return candidates.copy()
    scores = _uniform((batch_size, length), generator)  # (b, t)
    scores[~candidates] = _NOT_A_CANDIDATE_SCORE
    ordered = np.sort(scores, axis=1)  # (b, t)
    kth = ordered[np.arange(batch_size), counts - 1]  # (b,); k = 0 reads the last column
    np.minimum(kth, 1.0, out=kth)  # above every uniform, below every non-candidate
    selected = scores <= kth[:, None]  # (b, t)
    for row in np.flatnonzero(np.add.reduce(selected, axis=1) != counts):
        positions = np.flatnonzero(candidates[row])
        ranked = positions[np.argsort(scores[row, positions], kind="stable")]
        selected[row] = False
        selected[row, ranked[: counts[row]]] = True
    return selected


def with_replacement_mask(
    candidates: np.ndarray, counts: np.ndarray, generator: torch.Generator | None = None
) -> np.ndarray:
    """candidates (b, t) bool, counts (b,) -> (b, t) bool: the union of ``counts[i]`` uniform draws,
    with replacement, among row ``i``'s candidates (none where a row has no candidate).

    ELECTRA's masking (google-research/electra ``pretrain_helpers.mask``): positions come from
    ``tf.random.categorical`` over the candidates, i.e. with replacement, so a row ends up with
    fewer distinct positions than draws: at length 128 and 15%, about 13.8% of the tokens, not 14.8%.
    A position drawn twice is masked and predicted once here; the reference averages the ids of its
    updates (``scatter_update``), which can write an arbitrary id, and counts it twice in the loss.
    """
    batch_size, length = candidates.shape
    selected = np.zeros_like(candidates)
    if batch_size == 0 or length == 0:
        return selected
    draws = int(counts.max())
    num_candidates = np.add.reduce(candidates, axis=1)  # (b,)
    # Each row's candidate positions first, in order: the draws index into them.
    candidate_positions = np.argsort(~candidates, axis=1, kind="stable")  # (b, t)
    picks = (_uniform((batch_size, draws), generator) * num_candidates[:, None]).astype(np.int64)  # (b, k)
    np.minimum(picks, np.maximum(num_candidates - 1, 0)[:, None], out=picks)  # float32 rounding up to 1
    rows = np.arange(batch_size)[:, None]  # (b, 1)
    positions = candidate_positions[rows, picks]  # (b, k)
    wanted = (np.arange(draws) < counts[:, None]) & (num_candidates > 0)[:, None]  # (b, k)
    selected[np.broadcast_to(rows, positions.shape)[wanted], positions[wanted]] = True
    return selected


def select_exact_count(
    candidates: torch.Tensor, num_to_select: torch.Tensor, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Choose ``min(num_to_select[i], candidates[i].sum())`` candidates of row ``i`` uniformly.

    Sampling is without replacement, as fairseq's ``np.random.choice(..., replace=False)``
    (mask_tokens_dataset.py:141-148) and BERT's shuffled candidate list: every candidate gets a
    uniform score and the ``k`` lowest are kept (``exact_count_mask``).
    """
    _check_batch("candidates", candidates, torch.bool)
    _check_counts(num_to_select, candidates.shape[0])
    counts = np.clip(num_to_select.cpu().numpy().astype(np.int64), 0, candidates.shape[1])  # (b,)
    selected = exact_count_mask(candidates.cpu().numpy(), counts, generator)
    return torch.from_numpy(selected).to(candidates.device)


def _greedy_fill(lengths: np.ndarray, budgets: np.ndarray) -> np.ndarray:
    """BERT's skip-if-overflow greedy over words in visiting order, vectorised and exact.

    lengths (b, u) in visiting order (0 = no word), budgets (b,) -> taken (b, u). Sequentially,
    word j is taken when it fits the budget left. Every word of the longest prefix whose total fits
    is taken at once; after the first overflow the budget left, r, is smaller than one word, and each
    further pick is the next word no longer than r, which shrinks r: at most max-word-length rounds.
    """
    real = lengths > 0  # (b, u)
    within = (np.cumsum(lengths, axis=1) <= budgets[:, None]) & real  # (b, u)
    taken = np.logical_and.accumulate(within, axis=1)  # (b, u): the fitting prefix
    left = budgets - (lengths * taken).sum(axis=1)  # (b,)
    last = taken.sum(axis=1) - 1  # (b,) index of the last word considered
    positions = np.arange(lengths.shape[1])  # (u,)
    while True:
        fits = real & (positions > last[:, None]) & (lengths <= left[:, None])  # (b, u)
        rows = np.flatnonzero(fits.any(axis=1))
        if rows.size == 0:
            return taken
        pick = fits[rows].argmax(axis=1)  # the first word that fits, per row that has one
        taken[rows, pick] = True
        left[rows] -= lengths[rows, pick]
        last[rows] = pick


def whole_word_mask(
    word_ids: np.ndarray, candidates: np.ndarray, counts: np.ndarray, generator: torch.Generator | None = None
) -> np.ndarray:
    """numpy core of ``select_whole_words``: word_ids (b, t), candidates (b, t), counts (b,) -> (b, t)."""
    batch_size, length = candidates.shape
    if length == 0:
        return candidates.copy()
    word_ids = np.where(candidates & (word_ids >= 0), word_ids, -1)  # (b, t)
    previous_ids = np.empty_like(word_ids)  # (b, t)
    previous_ids[:, 0] = -1
    previous_ids[:, 1:] = word_ids[:, :-1]
    starts = candidates & ((word_ids != previous_ids) | (word_ids == -1))  # (b, t)
    unit = np.maximum(np.cumsum(starts, axis=1) - 1, 0)  # (b, t): index of the word a token belongs to
    num_units = int(starts.sum(axis=1).max())
    if num_units == 0:
        return candidates.copy()
    flat_unit = (np.arange(batch_size)[:, None] * num_units + unit)[candidates]  # (candidate tokens,)
    unit_lengths = np.bincount(flat_unit, minlength=batch_size * num_units).reshape(batch_size, num_units)

    scores = _uniform((batch_size, num_units), generator)  # (b, u)
    scores[unit_lengths == 0] = _NOT_A_CANDIDATE_SCORE
    order = np.argsort(scores, axis=1)  # (b, u): words in visiting order, padding words last
    taken_in_order = _greedy_fill(np.take_along_axis(unit_lengths, order, axis=1), counts)  # (b, u)
    chosen = np.zeros_like(taken_in_order)  # (b, u)
    np.put_along_axis(chosen, order, taken_in_order, axis=1)
    return candidates & np.take_along_axis(chosen, unit, axis=1)  # (b, t)


def select_whole_words(
    word_ids: torch.Tensor,
    candidates: torch.Tensor,
    num_to_select: torch.Tensor,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Select whole words, visiting them in random order, up to ``num_to_select[i]`` tokens a row.

    A word is a maximal run of consecutive candidate tokens sharing one word id (so the numbering
    may restart in a second segment, as ``BatchEncoding.word_ids()`` does for pairs). A negative id
    (``-1``) marks tokens that belong to no word; such a candidate is a word of its own, as every
    non-[CLS]/[SEP] token is in BERT. Any segmentation works, e.g. Chinese characters grouped by a
    word segmenter. A word that would overflow the budget is skipped and the next one is tried
    (create_pretraining_data.py:379-380), so a row gets at most ``num_to_select[i]`` tokens.
    """
    _check_batch("word_ids", word_ids)
    _check_batch("candidates", candidates, torch.bool)
    if word_ids.shape != candidates.shape:
        raise ValueError(
            f"word_ids shape {tuple(word_ids.shape)} != candidates shape {tuple(candidates.shape)}"
        )
    _check_counts(num_to_select, candidates.shape[0])
    selected = whole_word_mask(
        word_ids.cpu().numpy(),
        candidates.cpu().numpy(),
        num_to_select.cpu().numpy().astype(np.int64),
        generator,
    )
    return torch.from_numpy(selected).to(candidates.device)


def mask_replace(
    input_ids: np.ndarray,
    selected: np.ndarray,
    *,
    mask_token_id: int,
    replacement_ids: np.ndarray,
    mask_prob: float,
    random_prob: float,
    generator: torch.Generator | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """numpy core of ``apply_mask_replace``: input_ids (b, t), selected (b, t) -> (corrupted, labels).

    One uniform per selected token, drawn in row-major order of the selected positions, then one
    uniform index into ``replacement_ids`` per token to randomise.
    """
    input_ids = np.ascontiguousarray(input_ids)
    positions = np.flatnonzero(selected)  # (s,) flat indices of the selected tokens
    draws = _uniform((positions.size,), generator)  # (s,)
    originals = input_ids.reshape(-1)[positions]  # (s,)
    corrupted = input_ids.copy()  # (b, t)
    flat = corrupted.reshape(-1)
    flat[positions[draws < mask_prob]] = mask_token_id
    randomized = positions[(draws >= mask_prob) & (draws < mask_prob + random_prob)]
    if randomized.size:
        picks = torch.randint(len(replacement_ids), (randomized.size,), generator=generator).numpy()
        flat[randomized] = replacement_ids[picks]
    labels = np.full(input_ids.shape, IGNORE_INDEX, dtype=input_ids.dtype)  # (b, t)
    labels.reshape(-1)[positions] = originals
    return corrupted, labels


def apply_mask_replace(
    input_ids: torch.Tensor,
    selected: torch.Tensor,
    *,
    mask_token_id: int,
    replacement_ids: torch.Tensor,
    mask_prob: float = 0.8,
    random_prob: float = 0.1,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Corrupt the selected tokens: [MASK], a random token, or unchanged; return (ids, labels).

    One uniform draw ``u`` per selected token, and each piece of a whole word gets its own draw, as
    in BERT (create_pretraining_data.py:391-401): ``u < mask_prob`` gives ``mask_token_id``,
    ``mask_prob <= u < mask_prob + random_prob`` gives a token drawn uniformly from
    ``replacement_ids`` (it may equal the original, as in BERT), anything else keeps the token.
    ``labels`` holds the original id at selected positions and ``IGNORE_INDEX`` elsewhere.

    Deliberate difference from BERT (:210, :401) and transformers'
    ``DataCollatorForLanguageModeling``, which draw the random token from the whole vocabulary,
    [PAD], [CLS], [SEP] and [MASK] included: callers pass the non-special vocabulary as
    ``replacement_ids``, as fairseq/RoBERTa do (mask_tokens_dataset.py:95-101).
    """
    _check_batch("input_ids", input_ids)
    _check_batch("selected", selected, torch.bool)
    if selected.shape != input_ids.shape:
        raise ValueError(
            f"selected shape {tuple(selected.shape)} != input_ids shape {tuple(input_ids.shape)}"
        )
    _check_mask_replace(mask_prob, random_prob, replacement_ids.numel())
    corrupted, labels = mask_replace(
        input_ids.cpu().numpy(),
        selected.cpu().numpy(),
        mask_token_id=mask_token_id,
        replacement_ids=replacement_ids.cpu().numpy(),
        mask_prob=mask_prob,
        random_prob=random_prob,
        generator=generator,
    )
    return torch.from_numpy(corrupted).to(input_ids.device), torch.from_numpy(labels).to(input_ids.device)


def _check_mask_replace(mask_prob: float, random_prob: float, num_replacements: int) -> None:
    _check_probability("mask_prob", mask_prob)
    _check_probability("random_prob", random_prob)
    if mask_prob + random_prob > 1.0:
        raise ValueError(f"mask_prob + random_prob must be <= 1, got {mask_prob} + {random_prob}")
    if random_prob > 0 and num_replacements == 0:
        raise ValueError("replacement_ids is empty but random_prob > 0: no token to replace with")
