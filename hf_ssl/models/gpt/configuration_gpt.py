"""GPT configuration: GPT-1 (Radford et al. 2018) and GPT-2 (Radford et al. 2019) style decoders.

One config for both: `norm_position` "post" is GPT-1 (openai/finetune-transformer-lm train.py:140-147:
LN after each residual sum), "pre" is GPT-2 (LN before each sub-block, a final LN, and residual
projections initialised with std / sqrt(2·L), GPT-2 §2.3). Defaults are GPT-2 small.
"""

from __future__ import annotations

from typing import Any

from transformers import PreTrainedConfig

from ..config_rules import refuse_misspelled_fields, require, validate_transformer_fields

NORM_POSITIONS = ("post", "pre")


GPT2_END_OF_TEXT = 50256


class GPTConfig(PreTrainedConfig):
    """Configuration of an hf_ssl GPT decoder.

    Args:
        vocab_size: BPE vocabulary (40,478 + specials for GPT-1; 50,257 for GPT-2).
        hidden_size, num_hidden_layers, num_attention_heads, intermediate_size: width, depth, heads, FFN.
        hidden_act: transformers activation name ("gelu_new" is the tanh GELU both papers used).
        max_position_embeddings: context length (512 GPT-1, 1024 GPT-2).
        norm_position: "post" (GPT-1) or "pre" (GPT-2).
        hidden_dropout_prob, attention_probs_dropout_prob, embedding_dropout_prob: resid/attn/embd pdrop.
        layer_norm_eps: 1e-5 in both reference codes.
        lm_coef: weight λ of the auxiliary LM loss during fine-tuning (GPT-1 §3.2: 0.5; 0 disables it).
        bos_token_id, eos_token_id: default 50256 (GPT-2's <|endoftext|>) wherever the vocabulary has
            that id; none in a smaller vocabulary.
    """

    model_type = "hf_ssl_gpt"

    vocab_size: int = 50257
    hidden_size: int = 768
    num_hidden_layers: int = 12
    num_attention_heads: int = 12
    intermediate_size: int = 3072
    hidden_act: str = "gelu_new"
    max_position_embeddings: int = 1024
    norm_position: str = "pre"
    hidden_dropout_prob: float = 0.1
    attention_probs_dropout_prob: float = 0.1
    embedding_dropout_prob: float = 0.1
    layer_norm_eps: float = 1e-5
    initializer_range: float = 0.02
    lm_coef: float = 0.5
    pad_token_id: int | None = None
    bos_token_id: int | None = GPT2_END_OF_TEXT
    eos_token_id: int | None = GPT2_END_OF_TEXT
    tie_word_embeddings: bool = True
    use_cache: bool = True

    def __post_init__(self, **kwargs: Any) -> None:
        refuse_misspelled_fields(self, kwargs)
        validate_transformer_fields(
            self, ("hidden_dropout_prob", "attention_probs_dropout_prob", "embedding_dropout_prob")
        )
        require(
            self.norm_position in NORM_POSITIONS,
            f"norm_position={self.norm_position!r}; expected one of {NORM_POSITIONS}",
        )
        require(self.lm_coef >= 0, f"lm_coef={self.lm_coef}; expected >= 0")
        for name in ("bos_token_id", "eos_token_id"):
            # GPT-2's <|endoftext|> is the default; a vocabulary without that id has no default instead.
            if getattr(self, name) == GPT2_END_OF_TEXT and self.vocab_size <= GPT2_END_OF_TEXT:
                setattr(self, name, None)
        for name in ("pad_token_id", "bos_token_id", "eos_token_id"):
            value = getattr(self, name)
            require(
                value is None or 0 <= value < self.vocab_size,
                f"{name}={value}; expected an id in [0, vocab_size={self.vocab_size})",
            )
        super().__post_init__(**kwargs)
