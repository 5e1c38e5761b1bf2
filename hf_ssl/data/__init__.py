"""Data: the embedded default corpus, corpus readers (documents of sentences) and tokenizer training."""

from hf_ssl.data.conll import label_names, read_conll, tokenize_and_align, write_conll
from hf_ssl.data.corpus import (
    Document,
    default_corpus_titles,
    iter_texts,
    load_default_corpus,
    read_documents,
    split_sentences,
)
from hf_ssl.data.tokenizers import (
    train_byte_level_bpe_tokenizer,
    train_gpt2_tokenizer,
    train_t5_tokenizer,
    train_word_level_tokenizer,
    train_wordpiece_tokenizer,
)
from hf_ssl.data.wordnet import SenseOccurrence, Synset, find_wordnet, read_wordnet, sense_occurrences

__all__ = [
    "Document",
    "SenseOccurrence",
    "Synset",
    "default_corpus_titles",
    "find_wordnet",
    "iter_texts",
    "label_names",
    "load_default_corpus",
    "read_conll",
    "read_documents",
    "read_wordnet",
    "sense_occurrences",
    "split_sentences",
    "tokenize_and_align",
    "train_byte_level_bpe_tokenizer",
    "train_gpt2_tokenizer",
    "train_t5_tokenizer",
    "train_word_level_tokenizer",
    "train_wordpiece_tokenizer",
    "write_conll",
]
