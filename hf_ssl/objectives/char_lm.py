"""ELMo's character ids and the bidirectional word-LM collator (Peters et al. 2018, §3.1, §3.4).

Character ids as bilm-tf (bilm/data.py:109-169) and AllenNLP (data/token_indexers/elmo_indexer.py):
a word is its UTF-8 bytes 0-255, truncated to 48, wrapped in begin/end-of-word ids and padded to 50:
`[BOW, bytes[:48], EOW, PAD, ...]`. The sentence pseudo-words `<S>` and `</S>` are
`[BOW, BOS|EOS, EOW, PAD, ...]`. Every id is then shifted by +1 so that 0 marks a padding word
(hence 262 character ids at inference, 261 at training time). After the shift: BOS 257, EOS 258,
BOW 259, EOW 260, PAD 261.

`CharLMCollator` builds a biLM training batch from sentences: the words' character ids (the model
adds `<S>`/`</S>` itself, as AllenNLP's biLM does), and word-vocabulary targets over the sentence
as the biLM sees it, `<S> w_1 ... w_n </S>`: the forward LM at position j predicts word j + 1, the
backward LM predicts word j - 1 (bilm-tf feeds `<S> w </S>` and predicts the next token each way).
Unlike bilm-tf, sentences are not packed into 20-token windows with the LSTM state carried across
batches: each row is one sentence, so rows are independent.

Shapes: b sentences, t words (longest sentence), c characters per word (50).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from hf_ssl.constants import IGNORE_INDEX

__all__ = [
    "BOS_TOKEN",
    "CHARACTER_VOCAB_SIZE",
    "EOS_TOKEN",
    "MAX_CHARACTERS_PER_TOKEN",
    "UNK_TOKEN",
    "CharLMCollator",
    "batch_to_char_ids",
    "build_word_vocab",
    "sentence_boundary_char_ids",
    "word_to_char_ids",
]

# Raw character ids (bilm-tf data.py:120-126), before the +1 shift.
BOS_CHAR, EOS_CHAR, BOW_CHAR, EOW_CHAR, PAD_CHAR = 256, 257, 258, 259, 260
CHAR_ID_SHIFT = 1
"""Added to every id so that 0 can mark a padding word (elmo_indexer.py:87-88)."""
CHARACTER_VOCAB_SIZE = PAD_CHAR + 1 + CHAR_ID_SHIFT
"""262: the `n_characters` of inference-time options.json."""
MAX_CHARACTERS_PER_TOKEN = 50
BOS_TOKEN, EOS_TOKEN, UNK_TOKEN = "<S>", "</S>", "<UNK>"
"""The special words of bilm-tf's vocabulary files; `<S>` and `</S>` map to the pseudo-words."""


def _check_width(max_characters_per_token: int) -> None:
    if not isinstance(max_characters_per_token, int) or max_characters_per_token < 3:
        raise ValueError(f"max_characters_per_token={max_characters_per_token!r}; expected an int >= 3")


def _pseudo_word(char: int, width: int) -> list[int]:
    ids = [PAD_CHAR] * width
    ids[0], ids[1], ids[2] = BOW_CHAR, char, EOW_CHAR
    return [i + CHAR_ID_SHIFT for i in ids]


def word_to_char_ids(word: str, max_characters_per_token: int = MAX_CHARACTERS_PER_TOKEN) -> list[int]:
    """One word -> its `max_characters_per_token` shifted character ids (`<S>`/`</S>` are pseudo-words)."""
    if not isinstance(word, str):
        raise TypeError(f"word must be a str, got {type(word).__name__}: {word!r}")
    _check_width(max_characters_per_token)
    if word == BOS_TOKEN:
        return _pseudo_word(BOS_CHAR, max_characters_per_token)
    if word == EOS_TOKEN:
        return _pseudo_word(EOS_CHAR, max_characters_per_token)
    encoded = word.encode("utf-8", "ignore")[: max_characters_per_token - 2]
    ids = [PAD_CHAR] * max_characters_per_token
    ids[0] = BOW_CHAR
    ids[1 : len(encoded) + 1] = encoded
    ids[len(encoded) + 1] = EOW_CHAR
    return [i + CHAR_ID_SHIFT for i in ids]


def sentence_boundary_char_ids(
    max_characters_per_token: int = MAX_CHARACTERS_PER_TOKEN,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The shifted character ids of `<S>` and `</S>`, each (c,)."""
    return (
        torch.tensor(word_to_char_ids(BOS_TOKEN, max_characters_per_token)),
        torch.tensor(word_to_char_ids(EOS_TOKEN, max_characters_per_token)),
    )


def batch_to_char_ids(
    sentences: Sequence[Sequence[str]],
    *,
    add_sentence_boundaries: bool = False,
    max_characters_per_token: int = MAX_CHARACTERS_PER_TOKEN,
) -> torch.Tensor:
    """Tokenised sentences -> right-padded character ids (b, t, c); padding words are all 0.

    Without boundaries this is AllenNLP's `batch_to_ids`, the input hf_ssl's ElmoModel expects (the
    model adds `<S>`/`</S>`). With `add_sentence_boundaries=True` each sentence is wrapped in the
    `<S>`/`</S>` pseudo-words, as bilm-tf's `Batcher.batch_sentences` does (t grows by 2).
    """
    if isinstance(sentences, str) or not isinstance(sentences, Sequence):
        raise TypeError(f"sentences must be a list of lists of words, got {type(sentences).__name__}")
    rows = []
    for index, sentence in enumerate(sentences):
        if isinstance(sentence, str):
            raise TypeError(f"sentence {index} is a str; expected a list of words (split it first)")
        words = list(sentence)
        if add_sentence_boundaries:
            words = [BOS_TOKEN, *words, EOS_TOKEN]
        rows.append([word_to_char_ids(word, max_characters_per_token) for word in words])
    length = max((len(row) for row in rows), default=0)
    ids = torch.zeros(len(rows), length, max_characters_per_token, dtype=torch.long)
    for index, row in enumerate(rows):
        if row:
            ids[index, : len(row)] = torch.tensor(row)
    return ids


def build_word_vocab(
    sentences: Iterable[Sequence[str]], *, max_size: int | None = None, min_count: int = 1
) -> dict[str, int]:
    """Word -> id, `<S>`, `</S>`, `<UNK>` first (bilm-tf's vocabulary files), then by frequency."""
    if max_size is not None and max_size < 3:
        raise ValueError(f"max_size={max_size}; expected >= 3 (room for <S>, </S>, <UNK>)")
    counts = Counter(word for sentence in sentences for word in sentence)
    specials = (BOS_TOKEN, EOS_TOKEN, UNK_TOKEN)
    ranked = [w for w, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if n >= min_count]
    words = [*specials, *(w for w in ranked if w not in specials)]
    return {word: index for index, word in enumerate(words[:max_size])}


def _words(feature: Any, index: int) -> list[str]:
    if isinstance(feature, Mapping):
        for key in ("words", "tokens", "text"):
            if key in feature:
                feature = feature[key]
                break
        else:
            raise ValueError(f"feature {index} has none of the keys 'words', 'tokens', 'text'")
    if isinstance(feature, str):
        return feature.split()
    if isinstance(feature, Sequence) and all(isinstance(w, str) for w in feature):
        return list(feature)
    raise TypeError(f"feature {index}: expected a str or a list of words, got {type(feature).__name__}")


@dataclass
class CharLMCollator:
    """Sentences (str, list of words, or dicts with 'words'/'tokens'/'text') -> a biLM training batch.

    Returns input_ids (b, t, c) character ids without boundaries, attention_mask (b, t), and
    forward_labels / backward_labels (b, t + 2) over `<S> w_1 ... w_n </S>`: word-vocabulary ids of
    the next / previous word, IGNORE_INDEX where there is none (after `</S>`, before `<S>`) and on
    padding. Out-of-vocabulary words are predicted as `unk_token`.

    Args:
        vocab: word -> id of the LM softmax; must contain bos_token, eos_token and unk_token.
        max_length: keep at most this many words per sentence (None: no limit).
        max_characters_per_token: c (50 for every released ELMo).
    """

    vocab: Mapping[str, int]
    max_length: int | None = None
    max_characters_per_token: int = MAX_CHARACTERS_PER_TOKEN
    bos_token: str = BOS_TOKEN
    eos_token: str = EOS_TOKEN
    unk_token: str = UNK_TOKEN

    def __post_init__(self) -> None:
        missing = [t for t in (self.bos_token, self.eos_token, self.unk_token) if t not in self.vocab]
        if missing:
            raise ValueError(f"vocab lacks the special words {missing}; build it with build_word_vocab")
        if self.max_length is not None and (not isinstance(self.max_length, int) or self.max_length < 1):
            raise ValueError(f"max_length={self.max_length!r}; expected an int >= 1 or None")
        _check_width(self.max_characters_per_token)
        self._unk = self.vocab[self.unk_token]

    def __call__(self, features: Sequence[Any]) -> dict[str, torch.Tensor]:
        if isinstance(features, Mapping | str) or len(features) == 0:
            raise ValueError("features must be a non-empty list of sentences")
        sentences = []
        for index, feature in enumerate(features):
            words = _words(feature, index)[: self.max_length]
            if not words:
                raise ValueError(f"feature {index} has no words")
            sentences.append(words)
        input_ids = batch_to_char_ids(sentences, max_characters_per_token=self.max_characters_per_token)
        batch, length = input_ids.shape[:2]
        lengths = torch.tensor([len(s) for s in sentences])
        attention_mask = (torch.arange(length) < lengths[:, None]).long()  # (b, t)
        word_ids = torch.full((batch, length + 2), IGNORE_INDEX, dtype=torch.long)  # <S> w </S>, (b, t + 2)
        for row, words in enumerate(sentences):
            ids = [self.vocab.get(w, self._unk) for w in (self.bos_token, *words, self.eos_token)]
            word_ids[row, : len(ids)] = torch.tensor(ids)
        forward_labels = torch.nn.functional.pad(word_ids[:, 1:], (0, 1), value=IGNORE_INDEX)
        backward_labels = torch.nn.functional.pad(word_ids[:, :-1], (1, 0), value=IGNORE_INDEX)
        padding = word_ids == IGNORE_INDEX  # the first padding position would "predict" </S> backwards
        forward_labels = forward_labels.masked_fill(padding, IGNORE_INDEX)
        backward_labels = backward_labels.masked_fill(padding, IGNORE_INDEX)
        return {
            "input_ids": input_ids,
            "attention_mask": attention_mask,
            "forward_labels": forward_labels,
            "backward_labels": backward_labels,
        }
