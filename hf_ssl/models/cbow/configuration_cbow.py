"""CBOW configuration: word2vec's continuous bag of words (Mikolov et al. 2013a §3.1, 2013b §2.2).

Defaults follow the reference C tool (tmikolov/word2vec `word2vec.c`): 100-dimensional vectors,
window 5, 5 negatives drawn from the unigram distribution raised to 3/4. The window, negatives and
subsampling are data-side choices (`hf_ssl.objectives.CBOWCollator`); they are recorded here so a
checkpoint says how it was trained, and the collator can be built from the config.
"""

from __future__ import annotations

from typing import Any

from transformers import PreTrainedConfig

from ..config_rules import refuse_misspelled_fields, require

CBOW_LOSSES = ("negative_sampling", "softmax")
"""negative_sampling: word2vec's `-negative k` objective (Mikolov et al. 2013b eq. 4); softmax: the
full softmax over the vocabulary, exact and affordable for small vocabularies."""


class CBOWConfig(PreTrainedConfig):
    """Configuration of an hf_ssl CBOW model.

    Args:
        vocab_size: number of words (a word-level vocabulary: `hf_ssl.data.train_word_level_tokenizer`).
        embedding_size: dimension of the input and output word vectors (word2vec `-size`, 100).
        window: largest distance of a context word from the centre (word2vec `-window`, 5).
        num_negatives: negatives per centre word for `loss="negative_sampling"` (word2vec `-negative`).
        loss: one of CBOW_LOSSES.
        pad_token_id: id used to pad context windows; its vector is kept at zero and never trained.
    """

    model_type = "hf_ssl_cbow"

    vocab_size: int = 10000
    embedding_size: int = 100
    window: int = 5
    num_negatives: int = 5
    loss: str = "negative_sampling"
    pad_token_id: int | None = 0

    def __post_init__(self, **kwargs: Any) -> None:
        refuse_misspelled_fields(self, kwargs)
        for name in ("vocab_size", "embedding_size", "window"):
            value = getattr(self, name)
            require(
                isinstance(value, int) and not isinstance(value, bool) and value > 0,
                f"{name}={value!r}; expected a positive integer",
            )
        require(self.loss in CBOW_LOSSES, f"loss={self.loss!r}; expected one of {CBOW_LOSSES}")
        require(
            isinstance(self.num_negatives, int) and self.num_negatives >= 0,
            f"num_negatives={self.num_negatives!r}; expected an integer >= 0",
        )
        require(
            self.loss != "negative_sampling" or self.num_negatives > 0,
            "loss='negative_sampling' needs num_negatives > 0",
        )
        require(
            self.pad_token_id is None or 0 <= self.pad_token_id < self.vocab_size,
            f"pad_token_id={self.pad_token_id}; expected None or an id in [0, vocab_size={self.vocab_size})",
        )
        super().__post_init__(**kwargs)
