"""CBOWCollator and its pure pieces: window contents against a brute-force reference, document edges,
word2vec's dynamic window, negatives (never the centre, distributed as unigram^0.75), subsampling."""

from __future__ import annotations

import pytest
import torch

from hf_ssl.objectives import CBOWCollator
from hf_ssl.objectives.cbow import (
    context_windows,
    count_tokens,
    sample_negatives,
    subsample_keep_probability,
    unigram_distribution,
)

PAD = 0


def reference_window(document: list[int], centre: int, radius: int, window: int) -> tuple[list, list]:
    ids, mask = [], []
    for offset in [*range(-window, 0), *range(1, window + 1)]:
        position = centre + offset
        inside = 0 <= position < len(document) and abs(offset) <= radius
        ids.append(document[position] if inside else PAD)
        mask.append(int(inside))
    return ids, mask


def test_windows_match_a_brute_force_reference_for_every_centre_and_radius():
    document = torch.tensor([11, 12, 13, 14, 15, 16, 17])
    window = 3
    radii = torch.tensor([1, 2, 3, 3, 2, 1, 3])
    context, mask = context_windows(document, window, radii, PAD)
    assert context.shape == mask.shape == (7, 6)
    for centre in range(7):
        ids, expected_mask = reference_window(document.tolist(), centre, int(radii[centre]), window)
        assert context[centre].tolist() == ids
        assert mask[centre].tolist() == expected_mask


def test_collator_without_dynamic_window_gives_every_word_its_full_window_inside_its_document():
    documents = [[5, 6, 7, 8], [9, 10, 11]]
    collator = CBOWCollator(counts=count_tokens(documents, 12), window=2, dynamic_window=False, seed=0)
    out = collator(documents)
    assert out["labels"].tolist() == [5, 6, 7, 8, 9, 10, 11]
    assert out["input_ids"][0].tolist() == [PAD, PAD, 6, 7]
    assert out["input_ids"][3].tolist() == [6, 7, PAD, PAD]
    assert out["input_ids"][4].tolist() == [PAD, PAD, 10, 11]  # never reaches into the previous document
    assert out["attention_mask"][5].tolist() == [0, 1, 1, 0]
    assert out["negative_ids"].shape == (7, 5)


def test_dynamic_window_radii_are_uniform_between_one_and_the_window():
    document = list(range(5, 45))
    collator = CBOWCollator(counts=count_tokens([document], 50), window=4, num_negatives=0, seed=0)
    radii = []
    for _ in range(50):
        out = collator([document])
        mask = out["attention_mask"][4:-4]  # centres far from the edges
        radii += (mask.sum(-1) // 2).tolist()
        assert bool((mask[:, :4].sum(-1) == mask[:, 4:].sum(-1)).all())  # symmetric windows
    frequencies = torch.bincount(torch.tensor(radii), minlength=5)[1:].double() / len(radii)
    torch.testing.assert_close(frequencies, torch.full((4,), 0.25, dtype=torch.double), atol=0.03, rtol=0)


def test_negatives_never_equal_their_centre_and_follow_unigram_to_the_three_quarters():
    counts = torch.tensor([0, 0, 1000, 300, 100, 30, 10, 5])
    probabilities = unigram_distribution(counts, 0.75)
    expected = counts.double() ** 0.75 / (counts.double() ** 0.75).sum()
    torch.testing.assert_close(probabilities, expected)
    g = torch.Generator().manual_seed(0)
    centres = torch.full((20000,), 2)
    negatives = sample_negatives(probabilities, centres, 5, g, avoid_centre=False)
    observed = torch.bincount(negatives.flatten(), minlength=8).double() / negatives.numel()
    torch.testing.assert_close(observed, expected, atol=0.01, rtol=0)
    avoided = sample_negatives(probabilities, centres, 5, g, avoid_centre=True)
    assert not bool((avoided == 2).any())
    # Rejection sampling: the distribution given "not the centre" is p renormalised without it.
    conditional = expected.clone()
    conditional[2] = 0
    conditional /= conditional.sum()
    observed = torch.bincount(avoided.flatten(), minlength=8).double() / avoided.numel()
    torch.testing.assert_close(observed, conditional, atol=0.01, rtol=0)


def test_collator_never_draws_specials_padding_or_the_centre_as_negatives():
    documents = [[5, 6, 5, 7, 2, 5, 6], [6, 5, 5, 7]]
    counts = count_tokens(documents, 10)
    collator = CBOWCollator(counts=counts, window=2, num_negatives=8, special_token_ids=(2, 3), seed=1)
    for _ in range(20):
        out = collator(documents)
        assert not bool(torch.isin(out["negative_ids"], torch.tensor([0, 1, 2, 3, 4, 8, 9])).any())
        assert not bool((out["negative_ids"] == out["labels"].unsqueeze(1)).any())
        assert 2 not in out["labels"].tolist() and 2 not in out["input_ids"].tolist()  # [CLS]-like dropped


def test_subsampling_keeps_words_with_word2vec_probability():
    counts = torch.tensor([0, 9000, 900, 90, 10])
    keep = subsample_keep_probability(counts, 1e-3)
    total = counts.sum().item()
    for word in range(1, 5):
        f, s = counts[word].item(), 1e-3 * total
        assert keep[word].item() == pytest.approx(min(1.0, ((f / s) ** 0.5 + 1) * s / f))
    document = [1] * 900 + [4] * 10
    collator = CBOWCollator(
        counts=counts, window=1, num_negatives=0, dynamic_window=False, subsample_threshold=1e-3, seed=0
    )
    labels = collator([document])["labels"]
    kept_frequent = (labels == 1).sum().item() / 900
    assert kept_frequent == pytest.approx(keep[1].item(), abs=0.05)
    assert (labels == 4).sum().item() == 10  # rare words are always kept


def test_documents_as_tensors_or_dicts_give_the_same_batch_for_the_same_seed():
    documents = [[5, 6, 7, 8], [9, 10, 11]]
    counts = count_tokens(documents, 12)
    plain = CBOWCollator(counts=counts, window=2, seed=3)(documents)
    dicts = CBOWCollator(counts=counts, window=2, seed=3)([{"input_ids": torch.tensor(d)} for d in documents])
    for key in plain:
        assert torch.equal(plain[key], dicts[key]), key


def test_bad_inputs_raise_and_name_the_problem():
    counts = torch.tensor([0, 0, 5, 5, 5])
    with pytest.raises(ValueError, match="window must be an int >= 1, got 0"):
        CBOWCollator(counts=counts, window=0)
    with pytest.raises(ValueError, match="counts must be"):
        CBOWCollator(counts=[1.5, 2.0])
    with pytest.raises(ValueError, match="subsample_threshold"):
        CBOWCollator(counts=counts, subsample_threshold=2.0)
    with pytest.raises(ValueError, match="at least 2 counted"):
        CBOWCollator(counts=torch.tensor([0, 0, 5, 0]))
    collator = CBOWCollator(counts=counts, window=1, seed=0)
    with pytest.raises(ValueError, match="outside \\[0, vocab_size=5\\)"):
        collator([[2, 7]])
    with pytest.raises(TypeError, match="tokenize first"):
        collator(["call me ishmael"])
    with pytest.raises(ValueError, match="no document in this batch"):
        collator([[2]])
