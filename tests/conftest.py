"""Shared fixtures: tokenizers trained once per session on a slice of the embedded corpus."""

from __future__ import annotations

import pytest
import torch

from hf_ssl.data import (
    iter_texts,
    load_default_corpus,
    train_byte_level_bpe_tokenizer,
    train_t5_tokenizer,
    train_wordpiece_tokenizer,
)

torch.set_num_threads(1)


@pytest.fixture(scope="session")
def corpus_sentences() -> list[str]:
    return list(iter_texts(load_default_corpus()[:300]))


@pytest.fixture(scope="session")
def wordpiece_tokenizer(corpus_sentences):
    return train_wordpiece_tokenizer(corpus_sentences, vocab_size=400, model_max_length=64)


@pytest.fixture(scope="session")
def bpe_tokenizer(corpus_sentences):
    return train_byte_level_bpe_tokenizer(corpus_sentences, vocab_size=400, model_max_length=62)


@pytest.fixture(scope="session")
def t5_tokenizer(corpus_sentences):
    return train_t5_tokenizer(corpus_sentences, vocab_size=400, extra_ids=20, model_max_length=64)
