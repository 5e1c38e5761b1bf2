"""The T5-style unigram tokenizer: T5's special ids, sentinels in T5's order, a faithful reload."""

from __future__ import annotations

import pytest
from transformers import AutoTokenizer

from hf_ssl.data import train_t5_tokenizer


def test_special_ids_and_sentinels_follow_t5(t5_tokenizer):
    assert (t5_tokenizer.pad_token_id, t5_tokenizer.eos_token_id, t5_tokenizer.unk_token_id) == (0, 1, 2)
    assert len(t5_tokenizer) == 400 + 20
    # <extra_id_0> is the highest id and the ids decrease with the sentinel number (t5/data/utils.py).
    sentinels = t5_tokenizer.convert_tokens_to_ids([f"<extra_id_{i}>" for i in range(20)])
    assert sentinels == list(range(419, 399, -1))


def test_encoding_appends_eos_and_decodes_back(t5_tokenizer):
    text = "Call me Ishmael. Some years ago"
    ids = t5_tokenizer(text).input_ids
    assert ids[-1] == t5_tokenizer.eos_token_id and ids.count(t5_tokenizer.eos_token_id) == 1
    assert t5_tokenizer.decode(ids, skip_special_tokens=True) == text


def test_sentinels_are_single_tokens_inside_text(t5_tokenizer):
    ids = t5_tokenizer("the whale <extra_id_0> sea", add_special_tokens=False).input_ids
    assert t5_tokenizer.convert_tokens_to_ids("<extra_id_0>") in ids


def test_save_then_autotokenizer_load_gives_identical_encodings(t5_tokenizer, tmp_path):
    t5_tokenizer.save_pretrained(tmp_path)
    loaded = AutoTokenizer.from_pretrained(tmp_path)
    text = "It is not down on any map; true places never are."
    assert loaded(text).input_ids == t5_tokenizer(text).input_ids
    assert len(loaded) == len(t5_tokenizer)


def test_bad_sizes_are_rejected_with_the_value(corpus_sentences):
    with pytest.raises(ValueError, match="vocab_size must exceed the 3 special tokens, got 3"):
        train_t5_tokenizer(corpus_sentences, vocab_size=3)
    with pytest.raises(ValueError, match="extra_ids must be >= 0, got -1"):
        train_t5_tokenizer(corpus_sentences, vocab_size=100, extra_ids=-1)
