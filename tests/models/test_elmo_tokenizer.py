"""ElmoTokenizer: text to ELMo's character ids, loaded by AutoTokenizer, through the pipelines."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import torch
from transformers import AutoTokenizer, pipeline

import hf_ssl
from hf_ssl.data.characters import batch_to_char_ids
from tests.models.tiny import TINY_CONFIGS

TEXTS = ["Call me Ishmael.", "Some years ago - never mind how long precisely"]


def test_ids_are_the_reference_character_ids_of_the_words():
    tokenizer = hf_ssl.ElmoTokenizer()
    encoded = tokenizer(TEXTS, padding=True, return_tensors="pt")
    words = [tokenizer.words(text) for text in TEXTS]
    assert words[0] == ["Call", "me", "Ishmael", "."]
    torch.testing.assert_close(encoded["input_ids"], batch_to_char_ids(words))
    assert encoded["attention_mask"].tolist() == [[1] * 4 + [0] * 5, [1] * 9]
    assert tokenizer.decode(encoded["input_ids"][0]) == "Call me Ishmael ."
    assert tokenizer.batch_decode(encoded["input_ids"])[1] == TEXTS[1]


def test_words_split_as_the_benchmark_elmo_read_and_given_words_stay_whole():
    tokenizer = hf_ssl.ElmoTokenizer()
    assert tokenizer.words("don't stop!") == ["don", "'", "t", "stop", "!"]
    split = tokenizer([["don't", "stop!"]], is_split_into_words=True, return_tensors="pt")
    torch.testing.assert_close(split["input_ids"], batch_to_char_ids([["don't", "stop!"]]))


def test_padding_and_truncation_count_words():
    tokenizer = hf_ssl.ElmoTokenizer(max_characters_per_token=10)
    encoded = tokenizer(TEXTS, padding="max_length", truncation=True, max_length=6)
    assert [len(row) for row in encoded["input_ids"]] == [6, 6]
    assert all(len(word) == 10 for row in encoded["input_ids"] for word in row)
    assert encoded["attention_mask"] == [[1, 1, 1, 1, 0, 0], [1] * 6]
    assert len(tokenizer(TEXTS[1])["input_ids"]) == 9  # one text, no batch axis without tensors


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda t: t(TEXTS, padding="both"), "padding='both'"),
        (lambda t: t(TEXTS, truncation=True), "truncation needs max_length"),
        (lambda t: t(TEXTS, return_offsets_mapping=True), "return_offsets_mapping"),
        (lambda t: t([3]), "expected a text"),
        (lambda t: t([["a", 3]], is_split_into_words=True), "list of words"),
        (lambda t: t(TEXTS, padding="max_length", max_length=3), "9 words, more than max_length=3"),
        (lambda t: t.decode(t(TEXTS, padding=True)["input_ids"]), "use batch_decode"),
    ],
)
def test_bad_calls_say_what_was_expected(call, message):
    with pytest.raises(ValueError, match=message):
        call(hf_ssl.ElmoTokenizer())


def test_auto_tokenizer_loads_it_beside_a_model_and_from_its_own_directory():
    model = hf_ssl.ElmoModel(TINY_CONFIGS["elmo"]).eval()
    with tempfile.TemporaryDirectory() as model_dir, tempfile.TemporaryDirectory() as tokenizer_dir:
        model.save_pretrained(model_dir)  # the save writes the tokenizer beside the weights
        assert isinstance(AutoTokenizer.from_pretrained(model_dir), hf_ssl.ElmoTokenizer)
        (Path(model_dir) / "tokenizer_config.json").unlink()  # without it, the model type names it
        assert isinstance(AutoTokenizer.from_pretrained(model_dir), hf_ssl.ElmoTokenizer)
        hf_ssl.ElmoTokenizer(max_characters_per_token=12).save_pretrained(tokenizer_dir)
        loaded = AutoTokenizer.from_pretrained(tokenizer_dir)
        assert isinstance(loaded, hf_ssl.ElmoTokenizer) and loaded.max_characters_per_token == 12


def test_the_feature_extraction_pipeline_returns_elmo_states_per_word():
    model = hf_ssl.ElmoModel(TINY_CONFIGS["elmo"]).eval()
    with tempfile.TemporaryDirectory() as model_dir:
        model.save_pretrained(model_dir)
        features = pipeline("feature-extraction", model=model_dir)(TEXTS[0])
    expected = model(**hf_ssl.ElmoTokenizer()(TEXTS[0], return_tensors="pt")).last_hidden_state
    torch.testing.assert_close(torch.tensor(features), expected)


def test_a_model_save_keeps_the_tokenizer_the_user_saved_there():
    with tempfile.TemporaryDirectory() as directory:
        hf_ssl.ElmoTokenizer(max_characters_per_token=12).save_pretrained(directory)
        hf_ssl.ElmoModel(TINY_CONFIGS["elmo"]).save_pretrained(directory)
        assert AutoTokenizer.from_pretrained(directory).max_characters_per_token == 12
