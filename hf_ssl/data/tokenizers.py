"""Tokenizer training: BERT's WordPiece and RoBERTa's byte-level BPE, returned as transformers tokenizers.

Both trainers use the Rust `tokenizers` library and wrap the result in transformers' own fast class
(`BertTokenizer`, `RobertaTokenizer`; in transformers 5 the `*Fast` names are aliases of these), so
`save_pretrained(dir)` followed by `AutoTokenizer.from_pretrained(dir)` gives the same ids,
`token_type_ids` and `word_ids()` (what whole-word masking needs).

References:
- WordPiece: Wu et al. (2016), "Google's Neural Machine Translation System", section 4.1; BERT's
  pipeline (basic tokenizer + `##` continuation) from google-research/bert `tokenization.py`.
- Byte-level BPE: Sennrich et al. (2016), "Neural Machine Translation of Rare Words with Subword Units";
  Radford et al. (2019), GPT-2, section 2.2 (bytes as the base alphabet); RoBERTa (Liu et al., 2019),
  section 4.4, and its special-token layout in fairseq's `Dictionary` (`<s>`=0 `<pad>`=1 `</s>`=2 `<unk>`=3).
- huggingface/tokenizers `bindings/python/py_src/tokenizers/implementations/` (bert_wordpiece.py,
  byte_level_bpe.py): the reference setups these mirror.

transformers 5 pitfall: `BertTokenizer(vocab_file=...)` silently ignores the keyword and builds a 5-token
vocabulary, so the trained backend is handed over as `tokenizer_object=` instead.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Iterator

from tokenizers import (
    AddedToken,
    Tokenizer,
    decoders,
    models,
    normalizers,
    pre_tokenizers,
    processors,
    trainers,
)
from transformers import BertTokenizer, GPT2Tokenizer, PreTrainedTokenizerFast, RobertaTokenizer, T5Tokenizer

logger = logging.getLogger(__name__)

WORDPIECE_SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
"""BERT's special tokens; their ids are their positions: [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 [MASK]=4."""

BYTE_LEVEL_BPE_SPECIAL_TOKENS = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")
"""RoBERTa's special tokens; their ids are their positions, as in fairseq: <s>=0 <pad>=1 </s>=2 <unk>=3 <mask>=4."""

WORDPIECE_PREFIX = "##"
"""Marks a WordPiece that continues a word (BERT)."""

BYTE_ALPHABET_SIZE = len(pre_tokenizers.ByteLevel.alphabet())
"""256: every byte has its own printable symbol, so byte-level BPE never needs `<unk>`."""

DEFAULT_MODEL_MAX_LENGTH = 512
"""Longest input BERT and RoBERTa were pre-trained on."""


class _CountingIterator:
    """Pass texts through to the trainer and count them, so an empty corpus is caught after training."""

    def __init__(self, texts: Iterable[str]) -> None:
        if isinstance(texts, str):
            raise TypeError("texts must be an iterable of strings, not a single string")
        self._texts = texts
        self.count = 0

    def __iter__(self) -> Iterator[str]:
        for text in self._texts:
            if not isinstance(text, str):
                raise TypeError(f"texts must hold strings, got {type(text).__name__}")
            self.count += 1
            yield text


def _check_common(vocab_size: int, min_frequency: int, model_max_length: int, n_special: int) -> None:
    if vocab_size <= n_special:
        raise ValueError(f"vocab_size must exceed the {n_special} special tokens, got {vocab_size}")
    if min_frequency < 1:
        raise ValueError(f"min_frequency must be >= 1, got {min_frequency}")
    if model_max_length < 1:
        raise ValueError(f"model_max_length must be >= 1, got {model_max_length}")


def _token_id(tokenizer: Tokenizer, token: str) -> int:
    token_id = tokenizer.token_to_id(token)
    assert token_id is not None, f"special token {token!r} missing after training"
    return token_id


def _train(tokenizer: Tokenizer, trainer: trainers.Trainer, texts: Iterable[str], name: str) -> None:
    counted = _CountingIterator(texts)
    started = time.perf_counter()
    tokenizer.train_from_iterator(counted, trainer=trainer)
    if counted.count == 0:
        raise ValueError(f"cannot train a {name} tokenizer on no texts")
    logger.info(
        "trained %s tokenizer: %d tokens from %d texts in %.2f s",
        name,
        tokenizer.get_vocab_size(),
        counted.count,
        time.perf_counter() - started,
    )


def train_wordpiece_tokenizer(
    texts: Iterable[str],
    *,
    vocab_size: int = 8000,
    lowercase: bool = True,
    min_frequency: int = 2,
    model_max_length: int = DEFAULT_MODEL_MAX_LENGTH,
) -> BertTokenizer:
    """Train a BERT-style WordPiece tokenizer on `texts` (sentences or documents, one string each).

    Pipeline: `BertNormalizer` (cleans control characters, spaces out CJK characters, lower-cases and
    strips accents when `lowercase`), `BertPreTokenizer` (whitespace and punctuation), WordPiece with
    `##` continuations, `[CLS] A [SEP]` / `[CLS] A [SEP] B [SEP]` with token type 1 on the B side, and
    the WordPiece decoder. Special ids: [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 [MASK]=4.

    Args:
        vocab_size: size of the vocabulary, special tokens included. It must leave room beyond the
            special tokens and the corpus's alphabet (every character seen, with and without `##`);
            a value that does not raises `ValueError` after training, naming the alphabet's size.
        lowercase: the "uncased" BERT variant. `False` keeps case and accents.
        min_frequency: a merge must occur this often to enter the vocabulary.
        model_max_length: the longest input the tokenizer will allow to be truncated to by default.

    Returns a `transformers.BertTokenizer` (a fast tokenizer) whose `len()` is the trained size.
    """
    _check_common(vocab_size, min_frequency, model_max_length, len(WORDPIECE_SPECIAL_TOKENS))
    unk, cls, sep = "[UNK]", "[CLS]", "[SEP]"
    tokenizer = Tokenizer(models.WordPiece(unk_token=unk, continuing_subword_prefix=WORDPIECE_PREFIX))
    # strip_accents=None follows `lowercase`, as BERT's uncased/cased checkpoints do; BertTokenizer
    # rebuilds the same normalizer from do_lower_case when it is loaded again.
    tokenizer.normalizer = normalizers.BertNormalizer(
        clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=lowercase
    )
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.decoder = decoders.WordPiece(prefix=WORDPIECE_PREFIX)
    trainer = trainers.WordPieceTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=list(WORDPIECE_SPECIAL_TOKENS),
        continuing_subword_prefix=WORDPIECE_PREFIX,
        show_progress=False,
    )
    _train(tokenizer, trainer, texts, "WordPiece")
    trained_size = tokenizer.get_vocab_size()
    if trained_size > vocab_size:
        # The trainer keeps the whole alphabet whatever vocab_size says; refuse rather than surprise.
        raise ValueError(
            f"vocab_size={vocab_size} is too small for this corpus: the {len(WORDPIECE_SPECIAL_TOKENS)} "
            f"special tokens and its alphabet already take {trained_size} entries; "
            f"use vocab_size > {trained_size}"
        )
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{cls}:0 $A:0 {sep}:0",
        pair=f"{cls}:0 $A:0 {sep}:0 $B:1 {sep}:1",
        special_tokens=[(cls, _token_id(tokenizer, cls)), (sep, _token_id(tokenizer, sep))],
    )
    wrapped = BertTokenizer(
        tokenizer_object=tokenizer,
        do_lower_case=lowercase,
        tokenize_chinese_chars=True,
        strip_accents=None,
        model_max_length=model_max_length,
    )
    assert len(wrapped) == trained_size, (len(wrapped), trained_size)
    return wrapped


def train_byte_level_bpe_tokenizer(
    texts: Iterable[str],
    *,
    vocab_size: int = 8000,
    min_frequency: int = 2,
    model_max_length: int = DEFAULT_MODEL_MAX_LENGTH,
) -> RobertaTokenizer:
    """Train a RoBERTa-style byte-level BPE tokenizer on `texts` (one string each).

    Pipeline: no normalizer (case and spacing are kept, so decoding gives the text back exactly),
    `ByteLevel` pre-tokenizer without a prefix space, BPE over the 256 byte symbols, RoBERTa's
    `<s> A </s>` / `<s> A </s></s> B </s>` post-processor (no token types), and the byte-level decoder.
    Special ids: <s>=0 <pad>=1 </s>=2 <unk>=3 <mask>=4; `<mask>` absorbs the space before it
    (`lstrip=True`), as in RoBERTa, so `"a <mask>"` masks the word `" b"` of `"a b"`.

    Args:
        vocab_size: size of the vocabulary, special tokens included; must exceed the 5 special tokens
            plus the 256 byte symbols (> 261).
        min_frequency: a merge must occur this often to enter the vocabulary.
        model_max_length: the longest input the tokenizer will allow to be truncated to by default.

    Returns a `transformers.RobertaTokenizer` (a fast tokenizer) whose `len()` is the trained size.
    """
    n_base = len(BYTE_LEVEL_BPE_SPECIAL_TOKENS) + BYTE_ALPHABET_SIZE
    if vocab_size <= n_base:
        raise ValueError(
            f"vocab_size must exceed the {len(BYTE_LEVEL_BPE_SPECIAL_TOKENS)} special tokens plus the "
            f"{BYTE_ALPHABET_SIZE} byte symbols (> {n_base}), got {vocab_size}"
        )
    _check_common(vocab_size, min_frequency, model_max_length, len(BYTE_LEVEL_BPE_SPECIAL_TOKENS))
    bos, pad, eos, unk, mask = BYTE_LEVEL_BPE_SPECIAL_TOKENS
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=list(BYTE_LEVEL_BPE_SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    _train(tokenizer, trainer, texts, "byte-level BPE")
    trained_size = tokenizer.get_vocab_size()
    # Re-adding an existing special token updates it in place (same id), now with RoBERTa's lstrip.
    tokenizer.add_special_tokens(
        [AddedToken(mask, lstrip=True, rstrip=False, normalized=False, special=True)]
    )
    tokenizer.post_processor = processors.RobertaProcessing(
        (eos, _token_id(tokenizer, eos)),  # sep
        (bos, _token_id(tokenizer, bos)),  # cls
        trim_offsets=True,
        add_prefix_space=False,
    )
    wrapped = RobertaTokenizer(
        tokenizer_object=tokenizer,
        bos_token=bos,
        eos_token=eos,
        sep_token=eos,
        cls_token=bos,
        unk_token=unk,
        pad_token=pad,
        mask_token=mask,
        add_prefix_space=False,
        trim_offsets=True,
        model_max_length=model_max_length,
    )
    assert len(wrapped) == trained_size, (len(wrapped), trained_size)
    return wrapped


GPT2_END_OF_TEXT = "<|endoftext|>"
"""GPT-2's one special token: document separator, and bos/eos/unk (openai/gpt-2 encoder.json)."""


T5_SPECIAL_TOKENS = ("<pad>", "</s>", "<unk>")
"""T5's special tokens; their ids are their positions: <pad>=0 (also the decoder start) </s>=1 <unk>=2."""

T5_EXTRA_IDS = 100
"""Sentinels `<extra_id_0>` ... `<extra_id_99>` after the pieces, in decreasing id order (t5/data/utils.py)."""


def train_t5_tokenizer(
    texts: Iterable[str],
    *,
    vocab_size: int = 8000,
    extra_ids: int = T5_EXTRA_IDS,
    model_max_length: int = DEFAULT_MODEL_MAX_LENGTH,
) -> T5Tokenizer:
    """Train a T5-style SentencePiece unigram tokenizer (Kudo 2018; Raffel et al. 2020 §2.2).

    `vocab_size` counts the pieces and the three specials; `extra_ids` sentinels follow, the first
    (`<extra_id_0>`) at the highest id as in T5, so `len(tokenizer) == vocab_size + extra_ids`.
    Encoding appends `</s>`, as T5's tasks do. The unigram model is trained by the Rust `tokenizers`
    library with T5's pre-tokenization (whitespace split, `▁` word marker), then handed to
    transformers' T5Tokenizer as (piece, score) pairs.
    """
    _check_common(vocab_size, 1, model_max_length, len(T5_SPECIAL_TOKENS))
    if extra_ids < 0:
        raise ValueError(f"extra_ids must be >= 0, got {extra_ids}")
    tokenizer = Tokenizer(models.Unigram())
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")]
    )
    trainer = trainers.UnigramTrainer(
        vocab_size=vocab_size,
        special_tokens=list(T5_SPECIAL_TOKENS),
        unk_token="<unk>",
        show_progress=False,
    )
    _train(tokenizer, trainer, texts, "T5 unigram")
    pieces = [(piece, score) for piece, score in json.loads(tokenizer.to_str())["model"]["vocab"]]
    assert [p for p, _ in pieces[:3]] == list(T5_SPECIAL_TOKENS), pieces[:3]
    pieces += [(f"<extra_id_{i}>", 0.0) for i in range(extra_ids - 1, -1, -1)]
    wrapped = T5Tokenizer(vocab=pieces, extra_ids=extra_ids, model_max_length=model_max_length)
    assert len(wrapped) == len(pieces), (len(wrapped), len(pieces))
    return wrapped


def train_gpt2_tokenizer(
    texts: Iterable[str],
    *,
    vocab_size: int = 8000,
    min_frequency: int = 2,
    model_max_length: int = DEFAULT_MODEL_MAX_LENGTH,
) -> GPT2Tokenizer:
    """Train a GPT-2-style byte-level BPE tokenizer: the same byte-level BPE, one special token.

    Unlike the RoBERTa variant, encoding adds no special tokens (a prompt stays a prompt, as
    text-generation needs); `<|endoftext|>` (id 0) separates documents and serves as bos, eos and
    unk. Padding uses it too, as GPT-2 does; hf_ssl's causal-LM collator finds padding by length,
    so real end-of-text tokens keep their labels.
    """
    n_base = 1 + BYTE_ALPHABET_SIZE
    if vocab_size <= n_base:
        raise ValueError(
            f"vocab_size must exceed 1 special token plus {BYTE_ALPHABET_SIZE} byte symbols "
            f"(> {n_base}), got {vocab_size}"
        )
    _check_common(vocab_size, min_frequency, model_max_length, 1)
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=[GPT2_END_OF_TEXT],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    _train(tokenizer, trainer, texts, "GPT-2 byte-level BPE")
    trained_size = tokenizer.get_vocab_size()
    wrapped = GPT2Tokenizer(
        tokenizer_object=tokenizer,
        bos_token=GPT2_END_OF_TEXT,
        eos_token=GPT2_END_OF_TEXT,
        unk_token=GPT2_END_OF_TEXT,
        pad_token=GPT2_END_OF_TEXT,
        add_prefix_space=False,
        model_max_length=model_max_length,
    )
    assert len(wrapped) == trained_size, (len(wrapped), trained_size)
    return wrapped


WORD_LEVEL_SPECIAL_TOKENS = WORDPIECE_SPECIAL_TOKENS
"""A word-level vocabulary shares BERT's specials and ids ([PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 [MASK]=4),
so one tokenizer serves CBOW, a word-level BERT LM and the TagLM tagger on top of it."""


def train_word_level_tokenizer(
    texts: Iterable[str],
    *,
    vocab_size: int = 20000,
    lowercase: bool = True,
    min_frequency: int = 1,
    model_max_length: int = DEFAULT_MODEL_MAX_LENGTH,
) -> PreTrainedTokenizerFast:
    """Train a word-level tokenizer: one id per word, the unit of word2vec and of classic taggers.

    Pipeline: `BertNormalizer` (lower-cases and strips accents when `lowercase`), `BertPreTokenizer`
    (whitespace and punctuation: "whale's" -> "whale", "'", "s"), then a `WordLevel` model keeping the
    `vocab_size` most frequent words; the rest map to [UNK]. Like the WordPiece trainer it adds
    `[CLS] A [SEP]` when asked for special tokens (CBOW calls it with `add_special_tokens=False`).
    Word-level tokens align one to one with pre-split words, so `is_split_into_words=True` inputs (a
    CoNLL file) keep one label per token.

    Returns a fast transformers tokenizer; `save_pretrained` / `AutoTokenizer.from_pretrained` round-trip it.
    """
    _check_common(vocab_size, min_frequency, model_max_length, len(WORD_LEVEL_SPECIAL_TOKENS))
    pad, unk, cls, sep, mask = WORD_LEVEL_SPECIAL_TOKENS
    tokenizer = Tokenizer(models.WordLevel(unk_token=unk))
    tokenizer.normalizer = normalizers.BertNormalizer(
        clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=lowercase
    )
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    trainer = trainers.WordLevelTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=list(WORD_LEVEL_SPECIAL_TOKENS),
        show_progress=False,
    )
    _train(tokenizer, trainer, texts, "word-level")
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{cls}:0 $A:0 {sep}:0",
        pair=f"{cls}:0 $A:0 {sep}:0 $B:1 {sep}:1",
        special_tokens=[(cls, _token_id(tokenizer, cls)), (sep, _token_id(tokenizer, sep))],
    )
    tokenizer.decoder = decoders.WordPiece(prefix=WORDPIECE_PREFIX)  # joins words with spaces
    wrapped = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        pad_token=pad,
        unk_token=unk,
        cls_token=cls,
        sep_token=sep,
        mask_token=mask,
        model_max_length=model_max_length,
    )
    assert len(wrapped) == tokenizer.get_vocab_size(), (len(wrapped), tokenizer.get_vocab_size())
    return wrapped
