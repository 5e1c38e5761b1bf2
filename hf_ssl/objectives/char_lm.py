"""ELMo's bidirectional word-LM collator (Peters et al. 2018, §3.4), over the character ids of
`hf_ssl.data.characters`.

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
from hf_ssl.data.characters import (
    BOS_TOKEN,
    EOS_TOKEN,
    MAX_CHARACTERS_PER_TOKEN,
    UNK_TOKEN,
    batch_to_char_ids,
    check_characters_per_token,
)
from hf_ssl.objectives.tokenizer_fields import accepts_tokenizer, describe_tokenizer

__all__ = ["CharLMCollator", "build_word_vocab"]


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


@accepts_tokenizer
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
        tokenizer: (keyword only) accepted as by every collator, but it fills no field: the word
            vocabulary and its special words come from `build_word_vocab`.
    """

    vocab: Mapping[str, int]
    max_length: int | None = None
    max_characters_per_token: int = MAX_CHARACTERS_PER_TOKEN
    bos_token: str = BOS_TOKEN
    eos_token: str = EOS_TOKEN
    unk_token: str = UNK_TOKEN

    @classmethod
    def _tokenizer_fields(cls, tokenizer: Any, given: Mapping[str, Any]) -> dict[str, Any]:
        """Nothing: the biLM predicts raw words, so its vocabulary and special words come from
        ``build_word_vocab``, not from a subword tokenizer. ``vocab`` must be given."""
        if "vocab" not in given:
            raise TypeError(
                f"CharLMCollator needs vocab, the biLM's word vocabulary, which tokenizer "
                f"{describe_tokenizer(tokenizer)} cannot supply: build it with build_word_vocab(sentences)"
            )
        return {}

    def __post_init__(self) -> None:
        missing = [t for t in (self.bos_token, self.eos_token, self.unk_token) if t not in self.vocab]
        if missing:
            raise ValueError(f"vocab lacks the special words {missing}; build it with build_word_vocab")
        if self.max_length is not None and (not isinstance(self.max_length, int) or self.max_length < 1):
            raise ValueError(f"max_length={self.max_length!r}; expected an int >= 1 or None")
        check_characters_per_token(self.max_characters_per_token)
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
