"""The word-level tokenizer: one id per word, BERT's special ids, and a save/load round trip."""

from __future__ import annotations

import pytest
from transformers import AutoTokenizer

from hf_ssl.data import train_word_level_tokenizer


@pytest.fixture(scope="module")
def tokenizer(corpus_sentences):
    return train_word_level_tokenizer(corpus_sentences, vocab_size=300, model_max_length=32)


def test_each_pre_split_word_gets_exactly_one_token(tokenizer):
    words = ["Call", "me", "Ishmael", ",", "zzzunseen", "."]
    encoding = tokenizer(words, is_split_into_words=True)
    assert encoding.word_ids() == [None, 0, 1, 2, 3, 4, 5, None]
    tokens = tokenizer.convert_ids_to_tokens(encoding["input_ids"])
    assert tokens[0] == "[CLS]" and tokens[-1] == "[SEP]"
    assert tokens[2] == "me" and tokens[5] == "[UNK]"  # lower-cased; unseen words map to [UNK]


def test_special_ids_match_bert_and_the_vocabulary_has_the_requested_size(tokenizer):
    assert len(tokenizer) == 300
    ids = [tokenizer.pad_token_id, tokenizer.unk_token_id, tokenizer.cls_token_id]
    assert [*ids, tokenizer.sep_token_id, tokenizer.mask_token_id] == [0, 1, 2, 3, 4]


def test_save_and_reload_gives_the_same_ids(tokenizer, tmp_path):
    tokenizer.save_pretrained(tmp_path)
    reloaded = AutoTokenizer.from_pretrained(tmp_path)
    text = "The whale's white hump rose, and Ahab called."
    assert reloaded(text)["input_ids"] == tokenizer(text)["input_ids"]
    assert reloaded.decode(reloaded(text)["input_ids"], skip_special_tokens=True).startswith("the whale")


def test_bad_arguments_raise(corpus_sentences):
    with pytest.raises(ValueError, match="vocab_size must exceed the 5 special tokens"):
        train_word_level_tokenizer(corpus_sentences, vocab_size=5)
    with pytest.raises(ValueError, match="no texts"):
        train_word_level_tokenizer([], vocab_size=50)
