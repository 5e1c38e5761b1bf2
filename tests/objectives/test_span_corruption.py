"""T5 span corruption: golden values from t5's preprocessors_test.py, the mask layout, the collator."""

from __future__ import annotations

import collections
import pickle

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from tokenizers import Tokenizer, models, pre_tokenizers
from transformers import PreTrainedTokenizerFast

from hf_ssl.constants import IGNORE_INDEX
from hf_ssl.objectives import (
    SpanCorruptionCollator,
    compute_input_and_target_lengths,
    noise_span_to_unique_sentinel,
    nonnoise_span_to_unique_sentinel,
    random_spans_helper,
    random_spans_noise_mask,
    t5_sentinel_ids,
)

SETTINGS = settings(max_examples=60, deadline=None)
PAD, EOS = 0, 1


def runs(mask: list[bool]) -> list[tuple[bool, int]]:
    """(value, length) of each maximal run."""
    out: list[tuple[bool, int]] = []
    for value in mask:
        if out and out[-1][0] == value:
            out[-1] = (value, out[-1][1] + 1)
        else:
            out.append((value, 1))
    return out


def reconstruct(inputs: list[int], targets: list[int], sentinels: list[int]) -> list[int]:
    """Undo span corruption: each sentinel in the inputs is replaced by what follows it in the targets."""
    spans, current = {}, None
    for token in targets:
        if token in sentinels:
            current = token
            spans[current] = []
        else:
            spans[current].append(token)
    return [t for token in inputs for t in (spans[token] if token in sentinels else [token])]


def test_unique_sentinels_match_t5_golden_example():
    # t5/data/preprocessors_test.py: test_noise_span_to_unique_sentinel
    tokens = torch.tensor([10, 11, 12, 13, 14, 15])
    noise = torch.tensor([True, True, False, False, True, False])
    sentinels = t5_sentinel_ids(1000)
    assert noise_span_to_unique_sentinel(tokens, noise, sentinels).tolist() == [999, 12, 13, 998, 15]
    assert nonnoise_span_to_unique_sentinel(tokens, noise, sentinels).tolist() == [10, 11, 999, 14, 998]


def test_random_spans_helper_matches_t5_and_the_568_to_512_plus_114_budget():
    assert random_spans_helper(512, 0.15, 3.0) == (568, 114)
    # t5/data/preprocessors_test.py: test_random_spans_helper
    assert random_spans_helper(64, 0.2, 2.0) == (70, 22)
    assert random_spans_helper(64, 0.2, 1.0) == (63, 27)
    assert compute_input_and_target_lengths(512, 0.15, 3.0) == (568, 114)


def test_t5_test_case_has_four_spans_of_total_length_eight_ending_in_noise():
    # t5/data/preprocessors_test.py: test_random_spans_noise_mask (its layout depends on TF's RNG).
    for seed in range(20):
        mask = random_spans_noise_mask(32, 0.25, 2.0, generator=torch.Generator().manual_seed(seed)).tolist()
        assert sum(mask) == 8
        assert sum(value for value, _ in runs(mask)) == 4
        assert mask[0] is False and mask[-1] is True


@SETTINGS
@given(st.integers(2, 400), st.floats(0.01, 0.6), st.floats(1.0, 8.0), st.integers(0, 2**31))
def test_noise_mask_has_t5_counts_and_alternates_from_nonnoise_to_a_final_noise_span(
    length, density, mean, seed
):
    num_noise = min(max(round(length * density), 1), length - 1)
    num_spans = max(1, round(num_noise / mean))
    generator = torch.Generator().manual_seed(seed)
    if num_spans > length - num_noise:
        with pytest.raises(ValueError, match="noise spans"):
            random_spans_noise_mask(length, density, mean, generator=generator)
        return
    mask = random_spans_noise_mask(length, density, mean, generator=generator)
    assert mask.shape == (length,) and mask.dtype == torch.bool
    layout = runs(mask.tolist())
    # Float32 rounding can move a count by one only where length * density sits on a .5 edge.
    assert abs(int(mask.sum()) - num_noise) <= 1
    assert [value for value, _ in layout] == [False, True] * (len(layout) // 2)
    assert len(layout) // 2 in {num_spans, max(1, round(int(mask.sum()) / mean))}


def test_every_admissible_mask_is_equally_likely():
    # L=6, density 1/3, mean 1: 2 noise tokens in 2 spans, 4 non-noise in 2 runs: 3 masks.
    generator = torch.Generator().manual_seed(0)
    counts = collections.Counter(
        tuple(random_spans_noise_mask(6, 1 / 3, 1.0, generator=generator).tolist()) for _ in range(3000)
    )
    assert len(counts) == 3
    assert all(abs(count / 3000 - 1 / 3) < 0.04 for count in counts.values())


def test_mean_noise_span_length_over_many_masks_is_the_requested_mean():
    generator = torch.Generator().manual_seed(1)
    lengths = []
    for _ in range(200):
        layout = runs(random_spans_noise_mask(568, 0.15, 3.0, generator=generator).tolist())
        lengths += [n for value, n in layout if value]
    assert len(lengths) == 200 * 28 and sum(lengths) == 200 * 85
    assert abs(sum(lengths) / len(lengths) - 3.0) < 0.05


def make_collator(**kwargs):
    kwargs.setdefault("vocab_size", 300)
    return SpanCorruptionCollator(**kwargs)


@SETTINGS
@given(
    st.lists(st.lists(st.integers(2, 199), min_size=1, max_size=90), min_size=1, max_size=6),
    st.sampled_from([16, 32, 64]),
    st.integers(0, 2**31),
)
def test_chunks_have_fixed_lengths_sentinels_in_order_and_rebuild_the_text(documents, inputs_length, seed):
    collator = make_collator(inputs_length=inputs_length, seed=seed)
    out = collator(documents)
    stream = [t for d in documents for t in d]
    num_rows = -(-len(stream) // collator.raw_length)
    assert out["input_ids"].shape == out["attention_mask"].shape == (num_rows, inputs_length)
    for key in ("labels", "decoder_input_ids", "decoder_attention_mask"):
        assert out[key].shape == (num_rows, collator.targets_length) and out[key].dtype == torch.long
    sentinels = list(collator.sentinel_ids)
    for row in range(num_rows):
        chunk = stream[row * collator.raw_length : (row + 1) * collator.raw_length]
        n_in, n_out = int(out["attention_mask"][row].sum()), int(out["decoder_attention_mask"][row].sum())
        inputs, labels = out["input_ids"][row, :n_in].tolist(), out["labels"][row, :n_out].tolist()
        if len(chunk) == collator.raw_length:
            assert (n_in, n_out) == (inputs_length, collator.targets_length)
        assert inputs[-1] == EOS and labels[-1] == EOS
        if len(chunk) == 1:  # T5 pads the length to 2 and cuts the mask back: no noise, one empty span
            assert inputs == [*chunk, EOS] and labels == [sentinels[0], EOS]
            continue
        used = [t for t in inputs if t in sentinels]
        assert used == sentinels[: len(used)] == [t for t in labels if t in sentinels]
        assert labels[0] == sentinels[0] and labels[-2] not in sentinels  # ends with a span, no sentinel
        assert inputs[-2] == used[-1]
        assert reconstruct(inputs[:-1], labels[:-1], sentinels) == chunk
        assert (out["input_ids"][row, n_in:] == PAD).all()
        assert (out["labels"][row, n_out:] == IGNORE_INDEX).all()
        assert out["decoder_input_ids"][row, :n_out].tolist() == [PAD, *labels[:-1]]


def test_t5_sizes_give_512_inputs_and_114_targets_and_the_first_sentinel_is_vocab_size_minus_one():
    collator = make_collator(inputs_length=512, vocab_size=32100, seed=0, drop_remainder=True)
    out = collator([list(range(2, 700)), list(range(5, 600))])
    assert collator.raw_length == 568 and collator.targets_length == 114
    assert out["input_ids"].shape == (2, 512) and out["labels"].shape == (2, 114)
    assert out["attention_mask"].all() and out["decoder_attention_mask"].all()
    assert (out["labels"][:, 0] == 32099).all() and (out["input_ids"] == 32099 - 27).sum() == 2


def test_zero_noise_density_corrupts_nothing_and_a_positive_one_at_least_one_token():
    assert not random_spans_noise_mask(20, noise_density=0.0).any()
    assert random_spans_noise_mask(20, noise_density=0.01).sum() == 1  # T5 clips round(0.2) up to 1
    collator = make_collator(inputs_length=32, noise_density=0.0, seed=0)
    document = list(range(2, 2 + collator.raw_length))
    out = collator([document])
    assert collator.raw_length == 31 and collator.targets_length == 1
    assert out["input_ids"][0].tolist() == [*document, EOS]
    assert out["labels"][0].tolist() == [EOS]


def test_remainder_is_kept_padded_or_dropped():
    documents = [list(range(2, 2 + 40))]  # raw_length 34 at inputs_length 32: one full chunk + 6
    kept = make_collator(inputs_length=32, seed=0)(documents)
    dropped = make_collator(inputs_length=32, seed=0, drop_remainder=True)(documents)
    assert kept["input_ids"].shape[0] == 2 and dropped["input_ids"].shape[0] == 1
    assert int(kept["attention_mask"][1].sum()) < 32
    with pytest.raises(ValueError, match="fewer than one 34-token chunk"):
        make_collator(inputs_length=32, drop_remainder=True)([list(range(2, 12))])


def test_same_seed_same_batch_new_noise_each_call_and_pickle_continues_the_stream():
    documents = [list(range(2, 150))]
    a, b = make_collator(inputs_length=64, seed=3), make_collator(inputs_length=64, seed=3)
    first, second = a(documents), b(documents)
    assert all(torch.equal(first[k], second[k]) for k in first)
    assert not torch.equal(first["input_ids"], a(documents)["input_ids"])
    clone = pickle.loads(pickle.dumps(a))
    assert torch.equal(a(documents)["labels"], clone(documents)["labels"])


def test_tokenizer_sentinels_are_ordered_by_extra_id_number():
    vocab = {"<pad>": 0, "</s>": 1, "<unk>": 2, "a": 3, "b": 4, "<extra_id_1>": 5, "<extra_id_0>": 6}
    backend = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend, pad_token="<pad>", eos_token="</s>")
    collator = SpanCorruptionCollator.from_tokenizer(
        tokenizer, inputs_length=8, noise_density=0.2, mean_noise_span_length=2.0
    )
    assert list(collator.sentinel_ids) == [6, 5]
    assert collator.pad_token_id == 0 and collator.eos_token_id == 1 and collator.decoder_start_token_id == 0
    del vocab["<extra_id_0>"], vocab["<extra_id_1>"]
    plain = PreTrainedTokenizerFast(
        tokenizer_object=Tokenizer(models.WordLevel(vocab, unk_token="<unk>")),
        pad_token="<pad>",
        eos_token="</s>",
    )
    with pytest.raises(ValueError, match="no <extra_id_N> sentinel"):
        SpanCorruptionCollator.from_tokenizer(plain)
    no_pad = PreTrainedTokenizerFast(tokenizer_object=Tokenizer(models.WordLevel(vocab, unk_token="<unk>")))
    with pytest.raises(ValueError, match="no pad token"):
        SpanCorruptionCollator.from_tokenizer(no_pad)


@pytest.mark.parametrize(
    ("kwargs", "features", "message"),
    [
        ({}, [[5, 6], []], "feature 1 has no tokens"),
        ({}, [], "non-empty list"),
        ({"vocab_size": None}, None, "give vocab_size"),
        ({"sentinel_ids": [299, 298]}, None, "only 2 sentinel ids"),
        ({"noise_density": 1.5}, None, r"noise_density must be a number in \[0, 1\]"),
        ({"noise_density": 0.9, "mean_noise_span_length": 1.0}, None, "more spans than non-noise"),
        ({"inputs_length": 1}, None, "inputs_length must be an int >= 2"),
        ({"sentinel_ids": [1, *list(range(200, 260))]}, None, r"pad/eos id\(s\) \[1\]"),
    ],
)
def test_bad_configuration_or_input_raises_a_clear_error(kwargs, features, message):
    with pytest.raises(ValueError, match=message):
        collator = make_collator(**kwargs)
        collator(features)


def test_a_text_token_that_is_also_a_sentinel_is_refused_naming_it():
    collator = make_collator(inputs_length=16, vocab_size=300, seed=0)  # one span: sentinel 299
    with pytest.raises(ValueError, match="token id 299, which is also a sentinel"):
        collator([[5, 6, 299, 7] * 5])
