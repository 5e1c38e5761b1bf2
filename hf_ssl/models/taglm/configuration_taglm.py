"""TagLM configuration: the tagger's sizes, its label set, and the LM provider's config as a nested dict.

Peters, Ammar, Bhagavatula & Power 2017 ("Semi-supervised sequence tagging with bidirectional
language models"), §2.1-2.3. The paper's tagger: a character CNN/RNN feature and a pretrained word
embedding per token, two bidirectional RNN layers (GRU or LSTM), the frozen LM embedding
concatenated to the first layer's output, a dense layer and a CRF. Default sizes here are small;
the paper's (from memory, verify: 2 x bi-GRU of 80 units for NER, Senna 50-d word vectors) are one
`TagLMConfig(...)` away.

The LM provider is any model registered with transformers' Auto classes that returns
`last_hidden_state` (hf_ssl's ELMo, BERT, GPT, CBOW, ...): its config is kept as a dict
(`lm_config`, with its `model_type`) and rebuilt through the Auto registry, so a checkpoint carries
the LM it was trained with.
"""

from __future__ import annotations

from typing import Any

from transformers import PreTrainedConfig

from ..config_rules import refuse_misspelled_fields, require

RNN_TYPES = ("gru", "lstm")
TAGGING_SCHEMES = ("BIO", "IOBES")


class TagLMConfig(PreTrainedConfig):
    """Configuration of an hf_ssl TagLM tagger.

    Args:
        vocab_size: the tokenizer's vocabulary (word embeddings and the token -> characters table).
        lm_config: the LM provider's `config.to_dict()` (must hold `model_type`); None only for the
            bare default config that transformers builds internally.
        lm_output_size: width of the LM states the tagger receives (filled in by `from_lm`).
        lm_layer: None takes the LM's `last_hidden_state` (the top layer, §2.3); an int picks
            `hidden_states[lm_layer]` instead.
        lm_reads_characters: the LM takes ELMo character ids (b, t, c), not token ids: the tagger maps
            each token id to its word's characters through a saved table (set by `from_lm`).
        max_word_chars: characters (UTF-8 bytes) kept per token for the character CNN.
        char_embedding_size, char_filters, char_kernel_size: the character CNN (Ma & Hovy 2016 §2.1).
        word_embedding_size: the word embedding, trained with the tagger (§2.1: fine-tuned).
        rnn_type: "gru" or "lstm" (§2.1 allows either).
        rnn_hidden_size: units per direction in each of the two bidirectional layers.
        dropout: applied to the token representation and to each RNN layer's output.
        tagging_scheme: "BIO", "IOBES" or None; a scheme adds hard CRF constraints (no I-X after O).
        special_token_ids: ids that get no tag ([CLS], [SEP], padding): the CRF chain skips them.
    """

    model_type = "hf_ssl_taglm"

    vocab_size: int = 1000
    lm_config: dict[str, Any] | None = None
    lm_output_size: int | None = None
    lm_layer: int | None = None
    lm_reads_characters: bool = False
    max_word_chars: int = 20
    char_embedding_size: int = 16
    char_filters: int = 30
    char_kernel_size: int = 3
    word_embedding_size: int = 50
    rnn_type: str = "gru"
    rnn_hidden_size: int = 80
    dropout: float = 0.25
    tagging_scheme: str | None = None
    special_token_ids: list[int] | None = None
    pad_token_id: int | None = 0

    def __post_init__(self, **kwargs: Any) -> None:
        refuse_misspelled_fields(self, kwargs)
        for name in (
            "vocab_size",
            "max_word_chars",
            "char_embedding_size",
            "char_filters",
            "char_kernel_size",
            "word_embedding_size",
            "rnn_hidden_size",
        ):
            value = getattr(self, name)
            require(
                isinstance(value, int) and not isinstance(value, bool) and value > 0,
                f"{name}={value!r}; expected a positive integer",
            )
        require(self.rnn_type in RNN_TYPES, f"rnn_type={self.rnn_type!r}; expected one of {RNN_TYPES}")
        require(0.0 <= self.dropout < 1.0, f"dropout={self.dropout}; expected a probability in [0, 1)")
        require(
            self.tagging_scheme is None or self.tagging_scheme in TAGGING_SCHEMES,
            f"tagging_scheme={self.tagging_scheme!r}; expected None or one of {TAGGING_SCHEMES}",
        )
        require(
            self.lm_config is None or (isinstance(self.lm_config, dict) and "model_type" in self.lm_config),
            f"lm_config must be None or a config dict with a 'model_type', got {str(self.lm_config)[:80]}",
        )
        require(
            self.lm_output_size is None or self.lm_output_size > 0,
            f"lm_output_size={self.lm_output_size}; expected None or > 0",
        )
        for value in [
            *(self.special_token_ids or []),
            *([self.pad_token_id] if self.pad_token_id is not None else []),
        ]:
            require(
                0 <= value < self.vocab_size,
                f"token id {value}; expected ids in [0, vocab_size={self.vocab_size})",
            )
        super().__post_init__(**kwargs)
