"""Tests for hf_ssl.data.tokenizers: trained tokenizers survive save_pretrained + AutoTokenizer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from transformers import AutoTokenizer, BertTokenizer, PreTrainedTokenizerBase, RobertaTokenizer

from hf_ssl.data import (
    iter_texts,
    load_default_corpus,
    train_byte_level_bpe_tokenizer,
    train_wordpiece_tokenizer,
)

VOCAB_SIZE = 500
SAMPLES = [
    "Call me Ishmael.",
    "Some years ago—never mind how long precisely—having little or no money in my purse.",
    "Queequeg was a native of Kokovoko, an island far away to the West and South.",
    "Naïve café owners in Nantucket don't say «whale» 3 times!",
]
PAIR = ("There she blows!", "Where away?")


def _texts() -> list[str]:
    # A slice of the embedded corpus keeps training well under a second.
    return list(iter_texts(load_default_corpus()[:400]))


@pytest.fixture(scope="module")
def wordpiece() -> BertTokenizer:
    return train_wordpiece_tokenizer(_texts(), vocab_size=VOCAB_SIZE, model_max_length=128)


@pytest.fixture(scope="module")
def byte_bpe() -> RobertaTokenizer:
    return train_byte_level_bpe_tokenizer(_texts(), vocab_size=VOCAB_SIZE, model_max_length=128)


@pytest.fixture(params=["wordpiece", "byte_bpe"])
def trained(request: pytest.FixtureRequest) -> PreTrainedTokenizerBase:
    return request.getfixturevalue(request.param)


def _reload(tokenizer: PreTrainedTokenizerBase, directory: Path) -> PreTrainedTokenizerBase:
    tokenizer.save_pretrained(directory)
    return AutoTokenizer.from_pretrained(directory)


def test_trained_tokenizers_have_the_requested_vocabulary_size(trained: PreTrainedTokenizerBase) -> None:
    assert len(trained) == VOCAB_SIZE
    assert trained.is_fast


def test_save_then_autotokenizer_load_keeps_class_and_vocabulary(
    trained: PreTrainedTokenizerBase, tmp_path: Path
) -> None:
    reloaded = _reload(trained, tmp_path)
    assert type(reloaded) is type(trained)
    assert len(reloaded) == len(trained) == VOCAB_SIZE
    assert reloaded.get_vocab() == trained.get_vocab()
    assert reloaded.all_special_ids == trained.all_special_ids
    assert reloaded.model_max_length == 128


def test_save_then_autotokenizer_load_gives_identical_encodings(
    trained: PreTrainedTokenizerBase, tmp_path: Path
) -> None:
    reloaded = _reload(trained, tmp_path)
    for text in SAMPLES:
        assert reloaded(text).data == trained(text).data
        assert reloaded(text).word_ids() == trained(text).word_ids()
    assert reloaded(*PAIR).data == trained(*PAIR).data
    batch = reloaded(SAMPLES, padding=True, return_tensors="pt")
    assert (
        batch["input_ids"].tolist()
        == trained(SAMPLES, padding=True, return_tensors="pt")["input_ids"].tolist()
    )


def test_wordpiece_special_tokens_have_bert_ids(wordpiece: BertTokenizer) -> None:
    tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    assert wordpiece.convert_tokens_to_ids(tokens) == [0, 1, 2, 3, 4]
    assert (wordpiece.pad_token_id, wordpiece.unk_token_id) == (0, 1)
    assert (wordpiece.cls_token_id, wordpiece.sep_token_id, wordpiece.mask_token_id) == (2, 3, 4)


def test_byte_level_bpe_special_tokens_have_roberta_ids(byte_bpe: RobertaTokenizer) -> None:
    tokens = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    assert byte_bpe.convert_tokens_to_ids(tokens) == [0, 1, 2, 3, 4]
    assert (byte_bpe.bos_token_id, byte_bpe.cls_token_id, byte_bpe.pad_token_id) == (0, 0, 1)
    assert (byte_bpe.eos_token_id, byte_bpe.sep_token_id) == (2, 2)
    assert (byte_bpe.unk_token_id, byte_bpe.mask_token_id) == (3, 4)


def test_wordpiece_pair_encoding_marks_the_second_segment(wordpiece: BertTokenizer) -> None:
    first, second = (wordpiece(text, add_special_tokens=False)["input_ids"] for text in PAIR)
    encoded = wordpiece(*PAIR)
    assert encoded["input_ids"] == [2, *first, 3, *second, 3]
    assert encoded["token_type_ids"] == [0] * (len(first) + 2) + [1] * (len(second) + 1)
    assert wordpiece(PAIR[0])["input_ids"] == [2, *first, 3]


def test_byte_level_bpe_pair_encoding_uses_roberta_separators(byte_bpe: RobertaTokenizer) -> None:
    first, second = (byte_bpe(text, add_special_tokens=False)["input_ids"] for text in PAIR)
    assert byte_bpe(*PAIR)["input_ids"] == [0, *first, 2, 2, *second, 2]
    assert byte_bpe(PAIR[0])["input_ids"] == [0, *first, 2]


def test_word_ids_group_subwords_of_one_word(trained: PreTrainedTokenizerBase) -> None:
    encoded = trained("Zanquorel blivvetmark")
    word_ids = encoded.word_ids()
    assert word_ids[0] is None and word_ids[-1] is None
    assert sorted(set(word_ids[1:-1])) == [0, 1]
    assert len(word_ids) > 4  # both made-up words are split into several pieces


def test_wordpiece_continuations_carry_the_double_hash(wordpiece: BertTokenizer) -> None:
    pieces = wordpiece.tokenize("zanquorel")
    assert len(pieces) > 1 and not pieces[0].startswith("##")
    assert all(piece.startswith("##") for piece in pieces[1:])


def test_mask_token_is_a_single_id_in_text(trained: PreTrainedTokenizerBase) -> None:
    mask = trained.mask_token
    assert mask is not None
    ids = trained(f"the white {mask} whale", add_special_tokens=False)["input_ids"]
    assert ids.count(trained.mask_token_id) == 1


def test_byte_level_bpe_mask_absorbs_the_space_before_it(byte_bpe: RobertaTokenizer, tmp_path: Path) -> None:
    for tokenizer in (byte_bpe, _reload(byte_bpe, tmp_path)):
        with_space = tokenizer("the white <mask> whale", add_special_tokens=False)["input_ids"]
        without = tokenizer("the white<mask> whale", add_special_tokens=False)["input_ids"]
        assert with_space == without


def test_wordpiece_decode_gives_back_the_lowercased_text(wordpiece: BertTokenizer) -> None:
    text = "The Pequod sailed from Nantucket, and Ahab stood upon the deck."
    ids = wordpiece(text)["input_ids"]
    assert wordpiece.decode(ids, skip_special_tokens=True) == text.lower()


def test_byte_level_bpe_decode_gives_back_the_exact_text(byte_bpe: RobertaTokenizer) -> None:
    for text in [*SAMPLES, "  Odd   spacing,\n\ttabs and UPPER case — 1851 ✓ "]:
        ids = byte_bpe(text)["input_ids"]
        assert byte_bpe.decode(ids, skip_special_tokens=True) == text
        assert byte_bpe.unk_token_id not in ids


def test_cased_wordpiece_keeps_case_after_reload(tmp_path: Path) -> None:
    cased = train_wordpiece_tokenizer(_texts()[:500], vocab_size=300, lowercase=False)
    reloaded = _reload(cased, tmp_path)
    assert reloaded.tokenize("Ahab AHAB") == cased.tokenize("Ahab AHAB")
    assert reloaded.tokenize("Ahab")[0] == "A"


@pytest.mark.parametrize(
    ("train", "vocab_size", "message"),
    [
        (train_wordpiece_tokenizer, 5, "got 5"),
        (train_wordpiece_tokenizer, 12, "vocab_size=12 is too small"),
        (train_byte_level_bpe_tokenizer, 261, r"> 261\), got 261"),
    ],
)
def test_too_small_vocab_size_is_rejected_with_the_value(
    train: Callable[..., PreTrainedTokenizerBase], vocab_size: int, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        train(["Call me Ishmael. Some years ago."] * 3, vocab_size=vocab_size)


@pytest.mark.parametrize("train", [train_wordpiece_tokenizer, train_byte_level_bpe_tokenizer])
def test_training_on_no_texts_is_rejected(train: Callable[..., PreTrainedTokenizerBase]) -> None:
    with pytest.raises(ValueError, match="no texts"):
        train(iter([]), vocab_size=300)


@pytest.mark.parametrize("train", [train_wordpiece_tokenizer, train_byte_level_bpe_tokenizer])
def test_a_single_string_instead_of_texts_is_rejected(train: Callable[..., PreTrainedTokenizerBase]) -> None:
    with pytest.raises(TypeError, match="single string"):
        train("Call me Ishmael.", vocab_size=300)
