"""ELMo's character ids (Peters et al. 2018, §3.1), as bilm-tf (bilm/data.py:109-169) and AllenNLP
(data/token_indexers/elmo_indexer.py) compute them.

A word is its UTF-8 bytes 0-255, truncated to 48, wrapped in begin/end-of-word ids and padded to 50:
`[BOW, bytes[:48], EOW, PAD, ...]`. The sentence pseudo-words `<S>` and `</S>` are
`[BOW, BOS|EOS, EOW, PAD, ...]`. Every id is then shifted by +1 so that 0 marks a padding word
(hence 262 character ids at inference, 261 at training time). After the shift: BOS 257, EOS 258,
BOW 259, EOW 260, PAD 261.

Shapes: b sentences, t words (longest sentence), c characters per word (50).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

__all__ = [
    "BOS_TOKEN",
    "CHARACTER_VOCAB_SIZE",
    "EOS_TOKEN",
    "MAX_CHARACTERS_PER_TOKEN",
    "UNK_TOKEN",
    "batch_to_char_ids",
    "check_characters_per_token",
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


def check_characters_per_token(max_characters_per_token: int) -> None:
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
    check_characters_per_token(max_characters_per_token)
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
