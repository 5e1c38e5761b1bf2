"""BERT configuration (Devlin et al. 2019, "BERT: Pre-training of Deep Bidirectional Transformers").

Field names and defaults follow transformers' BertConfig (BERT-base), so a transformers config maps
one to one. Values are validated when the config is built: a bad value raises ValueError naming it.
"""

from __future__ import annotations

from typing import Any

from transformers import PreTrainedConfig

from ..config_rules import refuse_misspelled_fields, require, validate_transformer_fields


class BertConfig(PreTrainedConfig):
    """Configuration of an hf_ssl BERT encoder and its heads.

    Args:
        vocab_size: size of the WordPiece vocabulary.
        hidden_size: model width H.
        num_hidden_layers: number of Transformer layers L.
        num_attention_heads: heads A; must divide hidden_size.
        intermediate_size: feed-forward width (4H in the paper).
        hidden_act: activation name from transformers' ACT2FN ("gelu" exact; the original TF code's
            tanh approximation is "gelu_new").
        hidden_dropout_prob: dropout on embeddings and every sub-block output.
        attention_probs_dropout_prob: dropout on attention weights.
        max_position_embeddings: rows of the learned position table.
        type_vocab_size: segment types (2 for sentence pairs).
        initializer_range: std of the N(0, σ) initialisation (BERT uses a truncated normal, σ=0.02).
        layer_norm_eps: LayerNorm epsilon (1e-12, TF's default in the original code).
        pad_token_id: id of [PAD].
        classifier_dropout: dropout before classification heads (default hidden_dropout_prob).
        tie_word_embeddings: share the MLM output matrix with the input word embeddings.
    """

    model_type = "hf_ssl_bert"

    vocab_size: int = 30522
    hidden_size: int = 768
    num_hidden_layers: int = 12
    num_attention_heads: int = 12
    intermediate_size: int = 3072
    hidden_act: str = "gelu"
    hidden_dropout_prob: float = 0.1
    attention_probs_dropout_prob: float = 0.1
    max_position_embeddings: int = 512
    type_vocab_size: int = 2
    initializer_range: float = 0.02
    layer_norm_eps: float = 1e-12
    pad_token_id: int | None = 0
    bos_token_id: int | None = None
    eos_token_id: int | None = None
    classifier_dropout: float | None = None
    tie_word_embeddings: bool = True
    use_cache: bool = False

    def __post_init__(self, **kwargs: Any) -> None:
        refuse_misspelled_fields(self, kwargs)
        self.validate_sizes()
        super().__post_init__(**kwargs)

    def validate_sizes(self) -> None:
        """Every size positive, heads dividing the width, probabilities in [0, 1), ids in the vocabulary."""
        validate_transformer_fields(
            self, ("hidden_dropout_prob", "attention_probs_dropout_prob", "classifier_dropout")
        )
        require(self.type_vocab_size >= 0, f"type_vocab_size={self.type_vocab_size}; expected >= 0")
        require(self.layer_norm_eps > 0, f"layer_norm_eps={self.layer_norm_eps}; expected > 0")
        if self.pad_token_id is not None:
            require(
                0 <= self.pad_token_id < self.vocab_size,
                f"pad_token_id={self.pad_token_id}; expected an id in [0, vocab_size={self.vocab_size})",
            )
