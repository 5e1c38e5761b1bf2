"""ELMo character ids (bilm-tf/AllenNLP, +1 shifted) and the biLM collator's inputs and targets."""

from __future__ import annotations

import pytest
import torch

from hf_ssl.constants import IGNORE_INDEX
from hf_ssl.data.characters import word_to_char_ids
from hf_ssl.objectives import CharLMCollator, batch_to_char_ids, build_word_vocab

PAD = [261]  # the padding character after the +1 shift (bilm-tf data.py:120-126)


def test_sentence_pseudo_words_and_a_short_word_have_the_reference_ids():
    assert word_to_char_ids("<S>") == [259, 257, 260, *PAD * 47]
    assert word_to_char_ids("</S>") == [259, 258, 260, *PAD * 47]
    assert word_to_char_ids("a") == [259, 98, 260, *PAD * 47]


def test_a_word_longer_than_48_bytes_is_truncated_to_48():
    ids = word_to_char_ids("x" * 60)
    assert len(ids) == 50
    assert ids == [259, *[ord("x") + 1] * 48, 260]


def test_a_non_ascii_word_is_encoded_as_its_utf8_bytes_and_may_be_cut_inside_a_character():
    assert word_to_char_ids("café")[:7] == [259, 100, 98, 103, 0xC3 + 1, 0xA9 + 1, 260]
    ids = word_to_char_ids("é" * 30)  # 60 bytes: the cut at 48 keeps 24 whole characters
    assert ids[1:49] == [0xC3 + 1, 0xA9 + 1] * 24 and ids[49] == 260
    assert word_to_char_ids("日本")[1:8] == [b + 1 for b in "日本".encode()] + [260]


def test_batch_to_char_ids_pads_with_zero_words_and_can_add_the_sentence_boundaries():
    ids = batch_to_char_ids([["a", "b"], ["c"]])
    assert ids.shape == (2, 2, 50)
    assert torch.all(ids[1, 1] == 0)
    assert ids[0, 1].tolist() == word_to_char_ids("b")
    wrapped = batch_to_char_ids([["a", "b"], ["c"]], add_sentence_boundaries=True)
    assert wrapped.shape == (2, 4, 50)
    assert wrapped[1, :3].tolist() == [word_to_char_ids(w) for w in ("<S>", "c", "</S>")]
    assert torch.all(wrapped[1, 3] == 0)
    with pytest.raises(TypeError, match="list of words"):
        batch_to_char_ids(["a sentence"])


def test_word_vocab_puts_the_special_words_first_then_by_frequency():
    vocab = build_word_vocab([["b", "a", "b"], ["c", "b", "a"]], max_size=5)
    assert list(vocab) == ["<S>", "</S>", "<UNK>", "b", "a"]


def test_collator_builds_next_and_previous_word_targets_over_the_bounded_sentence():
    vocab = build_word_vocab([["the", "cat", "sat"]])
    collator = CharLMCollator(vocab)
    batch = collator(["the cat sat", {"words": ["the", "dog"]}])
    assert batch["input_ids"].shape == (2, 3, 50)
    assert batch["attention_mask"].tolist() == [[1, 1, 1], [1, 1, 0]]
    s, e, unk = vocab["<S>"], vocab["</S>"], vocab["<UNK>"]
    the, cat, sat = vocab["the"], vocab["cat"], vocab["sat"]
    # positions: <S> w_1 .. w_n </S> (pad)
    assert batch["forward_labels"].tolist() == [
        [the, cat, sat, e, IGNORE_INDEX],
        [the, unk, e, IGNORE_INDEX, IGNORE_INDEX],
    ]
    assert batch["backward_labels"].tolist() == [
        [IGNORE_INDEX, s, the, cat, sat],
        [IGNORE_INDEX, s, the, unk, IGNORE_INDEX],
    ]
    assert batch["input_ids"][1, 1].tolist() == word_to_char_ids("dog")  # OOV only in the targets


def test_collator_truncates_and_rejects_bad_input():
    vocab = build_word_vocab([["a"]])
    assert CharLMCollator(vocab, max_length=2)(["a a a a"])["input_ids"].shape == (1, 2, 50)
    with pytest.raises(ValueError, match="special words"):
        CharLMCollator({"a": 0})
    with pytest.raises(ValueError, match="no words"):
        CharLMCollator(vocab)(["a", "   "])
    with pytest.raises(ValueError, match="non-empty"):
        CharLMCollator(vocab)([])
