"""The CoNLL reader and writer, the label set, and tag alignment with a tokenizer."""

from __future__ import annotations

from pathlib import Path

import pytest

from hf_ssl.constants import IGNORE_INDEX
from hf_ssl.data.conll import label_names, read_conll, tokenize_and_align, write_conll

TINY = Path(__file__).parent / "fixtures" / "tiny.conll"


def test_reader_splits_sentences_skips_docstart_and_picks_the_tag_column():
    sentences = read_conll(TINY)
    assert [s["tokens"] for s in sentences] == [
        ["Captain", "Ahab", "sailed", "from", "Nantucket", "."],
        ["Ishmael", "saw", "the", "whale", "."],
    ]
    assert sentences[0]["tags"] == ["B-PER", "I-PER", "O", "O", "B-LOC", "O"]
    assert read_conll(TINY, tag_column=2)[0]["tags"][:3] == ["B-NP", "I-NP", "B-VP"]


def test_write_then_read_round_trips(tmp_path):
    sentences = read_conll(TINY)
    write_conll(tmp_path / "copy.conll", sentences)
    assert read_conll(tmp_path / "copy.conll") == sentences


def test_label_names_put_outside_first_and_group_types():
    assert label_names(read_conll(TINY)) == ["O", "B-LOC", "B-PER", "I-PER"]


def test_alignment_labels_first_subwords_only_and_ignores_specials(wordpiece_tokenizer):
    sentences = [{"tokens": ["Ahab", "harpooneers"], "tags": ["B-PER", "O"]}]
    label2id = {"O": 0, "B-PER": 1}
    feature = tokenize_and_align(wordpiece_tokenizer, sentences, label2id)[0]
    words = wordpiece_tokenizer(["Ahab", "harpooneers"], is_split_into_words=True).word_ids()
    expected, previous = [], None
    for word in words:
        expected.append(IGNORE_INDEX if word is None or word == previous else [1, 0][word])
        previous = word
    assert feature["labels"] == expected
    assert len(words) > 4  # the rare words were split: the continuation rule was exercised
    every = tokenize_and_align(wordpiece_tokenizer, sentences, label2id, label_all_tokens=True)[0]
    assert every["labels"].count(IGNORE_INDEX) == 2  # only [CLS] and [SEP]


def test_bad_files_and_tags_raise(tmp_path):
    bad = tmp_path / "bad.conll"
    bad.write_text("Ahab B-PER\nsailed\n")
    with pytest.raises(ValueError, match=r"bad\.conll:2: 'sailed' has 1 columns"):
        read_conll(bad)
    with pytest.raises(FileNotFoundError, match="no such CoNLL file"):
        read_conll(tmp_path / "missing.conll")
    with pytest.raises(ValueError, match="not in the label set"):
        tokenize_and_align(None, [{"tokens": ["a"], "tags": ["B-X"]}], {"O": 0})
    with pytest.raises(ValueError, match="1 tokens but 2 tags"):
        write_conll(tmp_path / "x.conll", [{"tokens": ["a"], "tags": ["O", "O"]}])
