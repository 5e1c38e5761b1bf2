"""MASS collator: one span of round(L/2), 20/20/60 placement, 80/10/10, decoder = span shifted right."""

from __future__ import annotations

import pickle

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from hf_ssl.constants import IGNORE_INDEX
from hf_ssl.objectives import MaskedSeq2SeqCollator, mass_span_lengths, sample_mass_spans

BOS, PAD, EOS, MASK = 0, 1, 2, 3
SPECIALS = (BOS, PAD, EOS, MASK)
VOCAB = 500
SETTINGS = settings(max_examples=50, deadline=None)


def make_collator(**kwargs):
    kwargs.setdefault("special_token_ids", (BOS, EOS))
    return MaskedSeq2SeqCollator(vocab_size=VOCAB, mask_token_id=MASK, pad_token_id=PAD, **kwargs)


@SETTINGS
@given(
    st.lists(st.lists(st.integers(4, VOCAB - 1), min_size=1, max_size=50), min_size=1, max_size=8),
    st.booleans(),
    st.integers(0, 2**31),
)
def test_decoder_sees_the_span_shifted_right_at_its_original_positions_and_predicts_only_it(
    bodies, cross, seed
):
    sentences = [[BOS, *body, EOS] for body in bodies]
    out = make_collator(seed=seed, mask_cross_attention=cross)(sentences)
    width = max(map(len, sentences))
    spans = [round(len(s) * 0.5) for s in sentences]
    assert out["input_ids"].shape == out["attention_mask"].shape == (len(sentences), width)
    for key in ("decoder_input_ids", "decoder_attention_mask", "decoder_position_ids", "labels"):
        assert out[key].shape == (len(sentences), max(spans)) and out[key].dtype == torch.long
    assert ("cross_attention_mask" in out) == cross
    for i, sentence in enumerate(sentences):
        span = spans[i]
        labels = out["labels"][i].tolist()
        assert labels[span:] == [IGNORE_INDEX] * (len(labels) - span)
        start = int(out["decoder_position_ids"][i, 0]) + 1
        assert 1 <= start <= len(sentence) - span  # position 0 is never masked
        assert labels[:span] == sentence[start : start + span]
        assert out["decoder_input_ids"][i, :span].tolist() == sentence[start - 1 : start - 1 + span]
        assert out["decoder_position_ids"][i, :span].tolist() == list(range(start - 1, start - 1 + span))
        assert out["decoder_attention_mask"][i].tolist() == [1] * span + [0] * (len(labels) - span)
        encoder = out["input_ids"][i, : len(sentence)].tolist()
        outside = [p for p in range(len(sentence)) if not start <= p < start + span]
        assert all(encoder[p] == sentence[p] for p in outside)
        assert not any(
            encoder[p] in (BOS, EOS, PAD) and encoder[p] != sentence[p] for p in range(len(sentence))
        )
        if cross:
            expected = [int(t != MASK) for t in encoder] + [0] * (width - len(sentence))
            assert out["cross_attention_mask"][i].tolist() == expected


def test_span_is_at_the_start_20_percent_at_the_end_20_percent_and_uniform_otherwise():
    lengths = torch.full((40000,), 11)  # span round(5.5) = 6, starts 1..5
    starts, spans = sample_mass_spans(lengths, 0.5, generator=torch.Generator().manual_seed(0))
    assert (spans == 6).all()
    frequency = torch.bincount(starts, minlength=6)[1:].double() / 40000
    expected = torch.tensor([0.2 + 0.6 / 5, 0.12, 0.12, 0.12, 0.2 + 0.6 / 5], dtype=torch.float64)
    assert torch.allclose(frequency, expected, atol=0.01)


def test_span_length_rounds_half_to_even_like_python():
    lengths = torch.tensor([2, 3, 5, 7, 10, 11])
    assert (
        mass_span_lengths(lengths).tolist()
        == [round(n * 0.5) for n in lengths.tolist()]
        == [1, 2, 2, 4, 5, 6]
    )


def test_span_tokens_are_80_percent_mask_10_percent_kept_10_percent_random_non_special():
    sentences = [[BOS, *range(10, 10 + 98), EOS]] * 300
    out = make_collator(seed=0)(sentences)
    selected = out["decoder_attention_mask"].bool()
    positions = out["decoder_position_ids"][selected] + 1
    rows = torch.arange(300).unsqueeze(1).expand_as(selected)[selected]
    encoder, original = out["input_ids"][rows, positions], out["labels"][selected]
    assert encoder.numel() == 300 * 50
    assert abs(float((encoder == MASK).double().mean()) - 0.8) < 0.015
    assert abs(float((encoder == original).double().mean()) - 0.1) < 0.015
    random = encoder[(encoder != MASK) & (encoder != original)]
    assert abs(random.numel() / encoder.numel() - 0.1) < 0.015
    assert not torch.isin(random, torch.tensor(SPECIALS)).any()


def test_same_seed_same_batch_new_spans_each_call_and_pickle_continues():
    sentences = [[BOS, *range(10, 70), EOS], [BOS, *range(100, 130), EOS]]
    a, b = make_collator(seed=5), make_collator(seed=5)
    first, second = a(sentences), b(sentences)
    assert all(torch.equal(first[k], second[k]) for k in first)
    assert not torch.equal(first["input_ids"], a(sentences)["input_ids"])
    clone = pickle.loads(pickle.dumps(a))
    assert torch.equal(a(sentences)["labels"], clone(sentences)["labels"])


def test_pad_to_multiple_of_pads_both_sides_and_dict_features_are_accepted():
    features = [{"input_ids": [BOS, 10, 11, 12, EOS]}, {"input_ids": torch.tensor([BOS, 20, EOS])}]
    out = make_collator(seed=0, pad_to_multiple_of=4)(features)
    assert out["input_ids"].shape == (2, 8) and out["labels"].shape == (2, 4)
    assert (out["input_ids"][1, 3:] == PAD).all() and (out["labels"][1, 2:] == IGNORE_INDEX).all()


@pytest.mark.parametrize(
    ("kwargs", "features", "message"),
    [
        ({}, [[BOS]], "MASS needs >= 2"),
        ({}, [[]], "feature 0 has no tokens"),
        ({}, [[BOS, VOCAB, EOS]], f"token id {VOCAB} outside"),
        ({"mask_ratio": 1.0}, [[BOS, 10, 11, EOS]], r"must be in \[1, length - 1\]"),
        ({"mask_ratio": 0.1}, [[BOS, 10, EOS]], r"gets a span of 0"),
        ({"mask_ratio": 2.0}, None, r"mask_ratio must be a number in \[0, 1\]"),
        ({"mask_replace_prob": 0.9, "random_replace_prob": 0.2}, None, "must be <= 1"),
        ({"pad_to_multiple_of": 0}, None, "pad_to_multiple_of must be an int >= 1"),
    ],
)
def test_bad_configuration_or_input_raises_a_clear_error(kwargs, features, message):
    with pytest.raises(ValueError, match=message):
        make_collator(**kwargs)(features)


def test_tokenizer_without_a_mask_token_is_refused(wordpiece_tokenizer):
    collator = MaskedSeq2SeqCollator.from_tokenizer(wordpiece_tokenizer, seed=0)
    assert collator.mask_token_id == wordpiece_tokenizer.mask_token_id
    tokenizer = type("Tok", (), {"mask_token_id": None, "pad_token_id": 0})()
    with pytest.raises(ValueError, match="no mask token"):
        MaskedSeq2SeqCollator.from_tokenizer(tokenizer)
