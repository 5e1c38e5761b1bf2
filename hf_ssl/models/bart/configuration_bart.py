"""BART configuration (Lewis et al. 2020, "BART: Denoising Sequence-to-Sequence Pre-training").

Field names and defaults follow transformers' BartConfig (bart-large), so a transformers config maps
one to one and generation utilities find what they read (`decoder_start_token_id`,
`forced_eos_token_id`, `is_encoder_decoder`). Architecture (fairseq models/bart/model.py:326-366):
post-LN, GELU, a LayerNorm on the embeddings, learned positions, all embeddings shared.
BART-base is 6+6 layers, d_model 768, 12 heads, FFN 3072 (`hf_ssl.preset("bart-base")`).
"""

from __future__ import annotations

from typing import Any, ClassVar

from transformers import PreTrainedConfig
from transformers.activations import ACT2FN

from ...compat import CACHE_NAMES
from ..config_rules import refuse_misspelled_fields, require, require_size

SIZE_FIELDS = (
    "vocab_size",
    "d_model",
    "encoder_layers",
    "decoder_layers",
    "encoder_attention_heads",
    "decoder_attention_heads",
    "encoder_ffn_dim",
    "decoder_ffn_dim",
    "max_position_embeddings",
)
PROBABILITY_FIELDS = ("dropout", "attention_dropout", "activation_dropout", "classifier_dropout")


class BartConfig(PreTrainedConfig):
    """Configuration of an hf_ssl BART encoder-decoder and its heads.

    Args:
        vocab_size: byte-level BPE vocabulary (50,265 for the released models).
        d_model: width; encoder_/decoder_layers, _attention_heads, _ffn_dim: depth, heads, FFN width.
        activation_function: transformers activation name of the FFN ("gelu").
        max_position_embeddings: positions per side (1024). transformers' table has two extra rows
            (fairseq's padding offset) that are never read; hf_ssl's table does not.
        dropout, attention_dropout, activation_dropout: residual, attention-weight and FFN-inner dropout.
        classifier_dropout: dropout of the sequence-classification head.
        scale_embedding: multiply word embeddings by sqrt(d_model) (False for BART, True for mBART).
        init_std: std of the normal initialisation.
        pad/bos/eos/decoder_start_token_id: <pad>=1, <s>=0, </s>=2; the decoder starts with </s>
            (fairseq moves EOS to the front: denoising_dataset.py:66-73).
    """

    model_type = "hf_ssl_bart"
    keys_to_ignore_at_inference: ClassVar[list[str]] = list(CACHE_NAMES)
    attribute_map: ClassVar[dict[str, str]] = {
        "hidden_size": "d_model",
        "num_attention_heads": "encoder_attention_heads",
        "num_hidden_layers": "encoder_layers",
    }

    vocab_size: int = 50265
    max_position_embeddings: int = 1024
    encoder_layers: int = 12
    encoder_ffn_dim: int = 4096
    encoder_attention_heads: int = 16
    decoder_layers: int = 12
    decoder_ffn_dim: int = 4096
    decoder_attention_heads: int = 16
    activation_function: str = "gelu"
    d_model: int = 1024
    dropout: float = 0.1
    attention_dropout: float = 0.0
    activation_dropout: float = 0.0
    classifier_dropout: float = 0.0
    layer_norm_eps: float = 1e-5
    init_std: float = 0.02
    scale_embedding: bool = False
    use_cache: bool = True
    pad_token_id: int | None = 1
    bos_token_id: int | None = 0
    eos_token_id: int | None = 2
    decoder_start_token_id: int | None = 2
    forced_eos_token_id: int | None = 2
    is_encoder_decoder: bool = True
    tie_word_embeddings: bool = True

    def __post_init__(self, **kwargs: Any) -> None:
        refuse_misspelled_fields(self, kwargs)
        if self.id2label is None:
            # transformers' BART defaults to 3 labels (MNLI); keep it so converted heads fit.
            self.num_labels = kwargs.pop("num_labels", 3)
        self.validate_sizes()
        super().__post_init__(**kwargs)

    def validate_sizes(self) -> None:
        for name in SIZE_FIELDS:
            require_size(name, getattr(self, name))
        for side in ("encoder", "decoder"):
            heads = getattr(self, f"{side}_attention_heads")
            require(
                self.d_model % heads == 0,
                f"d_model={self.d_model} is not divisible by {side}_attention_heads={heads}",
            )
        require(
            self.activation_function in ACT2FN,
            f"activation_function={self.activation_function!r}; expected one of {sorted(ACT2FN)}",
        )
        for name in PROBABILITY_FIELDS:
            value = getattr(self, name)
            require(value is None or 0.0 <= value < 1.0, f"{name}={value}; expected a probability in [0, 1)")
        for name in ("pad_token_id", "bos_token_id", "eos_token_id", "decoder_start_token_id"):
            value = getattr(self, name)
            require(
                value is None or 0 <= value < self.vocab_size,
                f"{name}={value}; expected an id in [0, vocab_size={self.vocab_size})",
            )
