"""ELMo's tokenizer: text -> words -> each word's character ids (Peters et al. 2018, §3.1).

ELMo has no word vocabulary at its input: every word is read as its UTF-8 bytes, wrapped in
begin/end-of-word ids and padded to `max_characters_per_token` (`hf_ssl.data.characters`, as bilm-tf
and AllenNLP compute them). `ElmoTokenizer` splits text into words and returns those ids as
`input_ids` (b, t, c) with an `attention_mask` (b, t), the inputs every ELMo head takes.
`AutoTokenizer` loads it from a directory it was saved to.

Words are split as the 1B Word Benchmark that ELMo was trained on is tokenised: runs of letters and
digits, and each other non-space character on its own ("don't" -> "don", "'", "t"). Text that is
already split (`is_split_into_words=True`) is taken as it is.
"""

from __future__ import annotations

import re
from typing import Any

from transformers import BatchEncoding, PreTrainedTokenizer

from ...data.characters import (
    CHAR_ID_SHIFT,
    CHARACTER_VOCAB_SIZE,
    EOW_CHAR,
    MAX_CHARACTERS_PER_TOKEN,
    check_characters_per_token,
    word_to_char_ids,
)

WORD = re.compile(r"\w+|[^\w\s]")
PADDING_STRATEGIES = (True, False, "longest", "max_length", "do_not_pad")


class ElmoTokenizer(PreTrainedTokenizer):
    """Text to ELMo character ids.

    Args:
        max_characters_per_token: characters per word, begin/end-of-word marks included (50 in
            every published ELMo); longer words are cut to their first c - 2 bytes.
    """

    vocab_files_names: dict[str, str] = {}  # noqa: RUF012  (transformers declares these per instance)
    model_input_names: list[str] = ["input_ids", "attention_mask"]  # noqa: RUF012

    def __init__(self, max_characters_per_token: int = MAX_CHARACTERS_PER_TOKEN, **kwargs: Any) -> None:
        check_characters_per_token(max_characters_per_token)
        self.max_characters_per_token = max_characters_per_token
        super().__init__(max_characters_per_token=max_characters_per_token, **kwargs)

    @classmethod
    def for_model_config(cls, config: Any) -> ElmoTokenizer:
        """The tokenizer an ELMo config reads: its characters per word."""
        return cls(max_characters_per_token=config.max_characters_per_token)

    @property
    def vocab_size(self) -> int:
        return CHARACTER_VOCAB_SIZE  # the character ids, padding 0 included

    def get_vocab(self) -> dict[str, int]:
        return {}  # no word vocabulary: any word is read from its characters

    def _tokenize(self, text: str, **kwargs: Any) -> list[str]:
        return WORD.findall(text)

    def words(self, text: str | list[str], is_split_into_words: bool = False) -> list[str]:
        """The words ELMo reads from one text (or the given words, when already split)."""
        if is_split_into_words:
            if not isinstance(text, list | tuple) or not all(isinstance(word, str) for word in text):
                raise ValueError(f"is_split_into_words=True expects a list of words per text, got {text!r}")
            return list(text)
        if not isinstance(text, str):
            raise ValueError(f"expected a text (str), got {type(text).__name__}: {text!r}")
        return self._tokenize(text)

    def __call__(
        self,
        text: str | list[str] | list[list[str]],
        padding: bool | str = False,
        truncation: bool | str = False,
        max_length: int | None = None,
        is_split_into_words: bool = False,
        return_tensors: str | None = None,
        return_attention_mask: bool = True,
        **kwargs: Any,
    ) -> BatchEncoding:
        """One text (str) or a batch (list of str; list of word lists with is_split_into_words) ->
        input_ids (t, c) or (b, t, c) and attention_mask (t,) or (b, t); with `return_tensors`, one
        text is a batch of one. `max_length` counts words."""
        unknown = sorted(set(kwargs) - {"add_special_tokens", "return_token_type_ids"})
        if unknown:
            raise ValueError(f"ElmoTokenizer does not take {unknown}: it returns character ids and a mask")
        if padding not in PADDING_STRATEGIES:
            raise ValueError(f"padding={padding!r}; expected one of {PADDING_STRATEGIES}")
        single = isinstance(text, str) or (is_split_into_words and all(isinstance(w, str) for w in text))
        texts = [text] if single else list(text)
        rows = [self.words(item, is_split_into_words) for item in texts]  # type: ignore[arg-type]
        if truncation not in (False, "do_not_truncate"):
            if max_length is None:
                raise ValueError("truncation needs max_length (in words)")
            rows = [row[:max_length] for row in rows]
        width = max((len(row) for row in rows), default=0)
        if padding == "max_length":
            if max_length is None:
                raise ValueError("padding='max_length' needs max_length (in words)")
            if width > max_length:
                raise ValueError(
                    f"a text has {width} words, more than max_length={max_length}; pass truncation=True"
                )
            width = max_length
        pad = padding not in (False, "do_not_pad")
        blank = [0] * self.max_characters_per_token  # a padding word
        input_ids, attention_mask = [], []
        for row in rows:
            ids = [word_to_char_ids(word, self.max_characters_per_token) for word in row]
            missing = width - len(ids) if pad else 0
            input_ids.append(ids + [blank] * missing)
            attention_mask.append([1] * len(ids) + [0] * missing)
        unbatched = single and return_tensors is None  # tensors keep a batch axis, as transformers' do
        encoded: dict[str, Any] = {"input_ids": input_ids[0] if unbatched else input_ids}
        if return_attention_mask:
            encoded["attention_mask"] = attention_mask[0] if unbatched else attention_mask
        return BatchEncoding(encoded, tensor_type=return_tensors)

    def decode(self, token_ids: Any, skip_special_tokens: bool = False, **kwargs: Any) -> str:
        """Character ids (t, c) -> the words, space-separated (padding words dropped); a batch
        (b, t, c) goes to `batch_decode`."""
        rows = token_ids.tolist() if hasattr(token_ids, "tolist") else list(token_ids)
        if not all(isinstance(row, list) and all(isinstance(i, int) for i in row) for row in rows):
            raise ValueError(
                "decode takes one text's character ids (words, characters); use batch_decode for a batch"
            )
        return " ".join(word for word in (self._word(row) for row in rows) if word)

    def batch_decode(
        self,
        sequences: Any,
        skip_special_tokens: bool = False,
        clean_up_tokenization_spaces: bool | None = None,
        **kwargs: Any,
    ) -> list[str]:
        """Character ids (b, t, c) -> one string per text."""
        return [self.decode(text) for text in sequences]

    def _word(self, char_ids: list[int]) -> str:
        """One word's character ids -> the word (its bytes between the begin and end marks)."""
        raw = [i - CHAR_ID_SHIFT for i in char_ids if i > 0]
        end = raw.index(EOW_CHAR) if EOW_CHAR in raw else len(raw)
        return bytes(i for i in raw[1:end] if i < 256).decode("utf-8", "replace")

    def save_vocabulary(self, save_directory: str, filename_prefix: str | None = None) -> tuple[str, ...]:
        return ()  # nothing beyond tokenizer_config.json: characters need no vocabulary file


__all__ = ["ElmoTokenizer"]
