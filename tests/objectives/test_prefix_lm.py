"""PrefixLMCollator: T5's uniform split in [1, L-1], given splits, labels only after the prefix."""

from __future__ import annotations

import collections

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from hf_ssl.constants import IGNORE_INDEX
from hf_ssl.objectives import PrefixLMCollator, random_prefix_lengths

PAD, EOS = 0, 2
SETTINGS = settings(max_examples=60, deadline=None)


@SETTINGS
@given(
    st.lists(st.lists(st.integers(3, 99), min_size=2, max_size=40), min_size=1, max_size=8),
    st.sampled_from([None, EOS]),
    st.integers(0, 2**31),
)
def test_loss_covers_exactly_the_tokens_after_a_prefix_of_1_to_len_minus_1(rows, eos, seed):
    out = PrefixLMCollator(pad_token_id=PAD, eos_token_id=eos, seed=seed)(rows)
    width = max(map(len, rows)) + (eos is not None)
    assert out["input_ids"].shape == out["labels"].shape == out["attention_mask"].shape == (len(rows), width)
    assert out["prefix_lengths"].shape == (len(rows),) and out["prefix_lengths"].dtype == torch.long
    for i, row in enumerate(rows):
        full = [*row, eos] if eos is not None else row
        prefix = int(out["prefix_lengths"][i])
        assert 1 <= prefix <= len(row) - 1
        assert out["input_ids"][i, : len(full)].tolist() == full
        assert out["attention_mask"][i].tolist() == [1] * len(full) + [0] * (width - len(full))
        assert out["labels"][i].tolist() == [IGNORE_INDEX] * prefix + full[prefix:] + [IGNORE_INDEX] * (
            width - len(full)
        )


def test_split_point_is_uniform_over_1_to_len_minus_1():
    generator = torch.Generator().manual_seed(0)
    draws = random_prefix_lengths(torch.full((20000,), 6), generator)
    counts = collections.Counter(draws.tolist())
    assert set(counts) == {1, 2, 3, 4, 5}
    assert all(abs(count / 20000 - 0.2) < 0.015 for count in counts.values())
    assert random_prefix_lengths(torch.tensor([2, 2, 2])).tolist() == [1, 1, 1]


def test_given_inputs_and_targets_fix_the_split_and_mix_with_random_rows():
    features = [{"inputs": [5, 6, 7], "targets": [8, 9]}, {"input_ids": [10, 11, 12]}]
    out = PrefixLMCollator(pad_token_id=PAD, eos_token_id=EOS, pad_to_multiple_of=8, seed=0)(features)
    assert out["input_ids"][0].tolist() == [5, 6, 7, 8, 9, EOS, PAD, PAD]
    assert out["prefix_lengths"][0] == 3
    assert out["labels"][0].tolist() == [IGNORE_INDEX] * 3 + [8, 9, EOS] + [IGNORE_INDEX] * 2
    assert out["input_ids"].shape == (2, 8) and 1 <= int(out["prefix_lengths"][1]) <= 2


def test_prefix_lengths_match_the_mask_convention_of_layers_masks():
    # causal_mask(prefix_lengths=p) makes keys k < p[b] visible to every query: the prefix tokens.
    out = PrefixLMCollator(pad_token_id=PAD, seed=0)([{"inputs": [5, 6], "targets": [7, 8, 9]}])
    prefix = out["prefix_lengths"][0]
    keys = torch.arange(5)
    visible_to_first_query = (keys <= 0) | (keys < prefix)
    assert visible_to_first_query.tolist() == [True, True, False, False, False]
    assert (out["labels"][0] != IGNORE_INDEX).tolist() == (keys >= prefix).tolist()


def test_same_seed_same_splits_and_new_splits_each_call():
    rows = [list(range(3, 60))] * 8
    a, b = PrefixLMCollator(pad_token_id=PAD, seed=1), PrefixLMCollator(pad_token_id=PAD, seed=1)
    first = a(rows)
    assert torch.equal(first["prefix_lengths"], b(rows)["prefix_lengths"])
    assert not torch.equal(first["prefix_lengths"], a(rows)["prefix_lengths"])


@pytest.mark.parametrize(
    ("features", "message"),
    [
        ([[5]], "feature 0 has 1 token"),
        ([{"inputs": [], "targets": [5]}], "0 input and 1 target"),
        ([{"inputs": [5]}], "needs both 'inputs' and 'targets'"),
        ([], "non-empty list"),
        ([["a", "b"]], "must hold ints only"),
    ],
)
def test_bad_input_raises_a_clear_error(features, message):
    with pytest.raises((ValueError, TypeError), match=message):
        PrefixLMCollator(pad_token_id=PAD)(features)


def test_tokenizer_without_pad_or_eos_is_refused():
    tokenizer = type("Tok", (), {"pad_token_id": None, "eos_token_id": None})()
    with pytest.raises(ValueError, match="neither a pad nor an eos"):
        PrefixLMCollator.from_tokenizer(tokenizer)
    with pytest.raises(ValueError, match="pad_token_id must be an int"):
        PrefixLMCollator(pad_token_id=-1)
