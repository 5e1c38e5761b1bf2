"""Noise samplers for masked-LM objectives: pure functions, tensor in, tensor out.

Each sampler takes a ``torch.Generator`` and touches no global state, so the collators stay
reproducible and the samplers can be property-tested on their own.

References:
- google-research/bert ``create_pretraining_data.py``: the per-sequence prediction count
  (:369-370), whole-word candidates (:359-363), skipping a word that would overflow the budget
  (:379-380), and the 80/10/10 replacement drawn per selected token (:391-401).
- facebookresearch/fairseq ``fairseq/data/mask_tokens_dataset.py``: selection without replacement
  (:141-148) and random replacements drawn from the non-special vocabulary only (:95-101).

Shapes: b = batch size, t = sequence length, u = number of words (maskable units) in a row.
"""

from __future__ import annotations

import torch

from hf_ssl.constants import IGNORE_INDEX

__all__ = ["apply_mask_replace", "bert_num_to_predict", "select_exact_count", "select_whole_words"]

# A uniform score is always < 1, so this ranks every non-candidate after every candidate.
_NOT_A_CANDIDATE_SCORE = 2.0


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
    which rounds half to even; ``torch.round`` does the same, and the product is taken in float64
    so it is bit-identical to Python's float arithmetic (``round(10 * 0.15) == 2``,
    ``round(30 * 0.15) == 4``). Note the floor of 1: even ``probability=0`` predicts one token.
    """
    _check_probability("probability", probability)
    if max_predictions is not None and max_predictions < 1:
        raise ValueError(f"max_predictions must be None or >= 1, got {max_predictions}")
    counts = torch.round(num_tokens.to(torch.float64) * probability).long().clamp(min=1)  # (b,)
    if max_predictions is not None:
        counts = counts.clamp(max=max_predictions)
    return counts


def select_exact_count(
    candidates: torch.Tensor, num_to_select: torch.Tensor, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Choose ``min(num_to_select[i], candidates[i].sum())`` candidates of row ``i`` uniformly.

    Sampling is without replacement, as fairseq's ``np.random.choice(..., replace=False)``
    (mask_tokens_dataset.py:141-148) and BERT's shuffled candidate list: every candidate gets a
    uniform score, non-candidates rank last, and the ``k`` lowest ranks are kept.
    """
    _check_batch("candidates", candidates, torch.bool)
    _check_counts(num_to_select, candidates.shape[0])
    scores = torch.rand(candidates.shape, generator=generator, device=candidates.device)  # (b, t)
    scores = scores.masked_fill(~candidates, _NOT_A_CANDIDATE_SCORE)
    counts = num_to_select.to(candidates.device).clamp(max=candidates.shape[1])  # (b,)
    most = int(counts.max()) if counts.numel() else 0
    # The k lowest scores of each row; topk over the largest k is cheaper than a full argsort.
    lowest = scores.topk(most, dim=1, largest=False, sorted=True).indices  # (b, k)
    keep = torch.arange(most, device=candidates.device) < counts.unsqueeze(1)  # (b, k)
    chosen = torch.zeros_like(candidates).scatter_(1, lowest, keep)  # (b, t)
    return candidates & chosen


def _greedy_fill(lengths: torch.Tensor, budgets: torch.Tensor) -> torch.Tensor:
    """BERT's skip-if-overflow greedy over words in visiting order, vectorised and exact.

    lengths (b, u) in visiting order (0 = no word), budgets (b,) -> taken (b, u). Sequentially,
    word j is taken when it fits the budget left. Every word of the longest prefix whose total fits
    is taken at once; after the first overflow the budget left, r, is smaller than one word, and each
    further pick is the next word no longer than r, which shrinks r: at most max-word-length rounds.
    """
    real = lengths > 0  # (b, u)
    within = (lengths.cumsum(dim=1) <= budgets.unsqueeze(1)) & real  # (b, u)
    taken = within.long().cumprod(dim=1).bool()  # (b, u): the fitting prefix
    left = budgets - (lengths * taken).sum(dim=1)  # (b,)
    last = taken.sum(dim=1) - 1  # (b,) index of the last word considered
    positions = torch.arange(lengths.shape[1], device=lengths.device)  # (u,)
    while True:
        fits = real & (positions > last.unsqueeze(1)) & (lengths <= left.unsqueeze(1))  # (b, u)
        has = fits.any(dim=1)  # (b,)
        if not bool(has.any()):
            return taken
        pick = fits.long().argmax(dim=1)  # (b,) the first word that fits, per row
        rows = has.nonzero().squeeze(1)
        taken[rows, pick[rows]] = True
        left[rows] -= lengths[rows, pick[rows]]
        last[rows] = pick[rows]


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
    batch_size, length = candidates.shape
    if length == 0:
        return candidates.clone()

    word_ids = word_ids.masked_fill(~candidates | (word_ids < 0), -1)
    previous_ids = torch.nn.functional.pad(word_ids[:, :-1], (1, 0), value=-1)  # (b, t)
    starts = candidates & ((word_ids != previous_ids) | (word_ids == -1))
    unit = starts.long().cumsum(dim=1) - 1  # (b, t): index of the word a token belongs to
    unit = unit.clamp(min=0)
    num_units = int(starts.sum(dim=1).max())
    if num_units == 0:
        return candidates.clone()
    unit_lengths = torch.zeros(batch_size, num_units, dtype=torch.long, device=candidates.device)
    unit_lengths.scatter_add_(1, unit, candidates.long())  # (b, u)

    scores = torch.rand(unit_lengths.shape, generator=generator, device=candidates.device)  # (b, u)
    scores = scores.masked_fill(unit_lengths == 0, _NOT_A_CANDIDATE_SCORE)
    order = scores.argsort(dim=1)  # (b, u): words in visiting order, padding words last
    lengths_in_order = unit_lengths.gather(1, order)  # (b, u)
    taken_sorted = _greedy_fill(lengths_in_order, num_to_select.to(candidates.device))  # (b, u)
    chosen = torch.zeros_like(taken_sorted).scatter_(1, order, taken_sorted)  # (b, u)
    return candidates & chosen.gather(1, unit)  # (b, t)


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
    _check_probability("mask_prob", mask_prob)
    _check_probability("random_prob", random_prob)
    if mask_prob + random_prob > 1.0:
        raise ValueError(f"mask_prob + random_prob must be <= 1, got {mask_prob} + {random_prob}")
    if random_prob > 0 and replacement_ids.numel() == 0:
        raise ValueError("replacement_ids is empty but random_prob > 0: no token to replace with")

    draws = torch.rand(input_ids.shape, generator=generator, device=input_ids.device)  # (b, t)
    to_mask = selected & (draws < mask_prob)
    to_randomize = selected & (draws >= mask_prob) & (draws < mask_prob + random_prob)
    corrupted = input_ids.masked_fill(to_mask, mask_token_id)
    num_random = int(to_randomize.sum())
    if num_random:
        picks = torch.randint(
            replacement_ids.numel(), (num_random,), generator=generator, device=input_ids.device
        )
        corrupted[to_randomize] = replacement_ids.to(input_ids.device, input_ids.dtype)[picks]
    labels = input_ids.masked_fill(~selected, IGNORE_INDEX)
    return corrupted, labels
