"""Prefix LM (Raffel et al. 2020 §3.2.1): a decoder-only LM with a bidirectional prefix."""

from transformers import AutoModel, AutoModelForCausalLM, AutoModelForPreTraining

from ..spec import FamilySpec
from .configuration_prefix_lm import PrefixLMConfig
from .modeling_prefix_lm import PrefixLMForCausalLM, PrefixLMModel

FAMILY = FamilySpec(
    name="prefix_lm",
    config_class=PrefixLMConfig,
    heads={
        AutoModel: PrefixLMModel,
        AutoModelForPreTraining: PrefixLMForCausalLM,
        AutoModelForCausalLM: PrefixLMForCausalLM,
    },
    hub_task=("text-generation", "Prefix language modelling"),
    presets={"prefix": {"vocab_size": 50257}},
    pretraining="prefix",
    tokenizer="gpt2",
    tiny_configs={
        # Without prefix_lengths a prefix LM is a causal decoder; tests/models/test_prefix_lm.py covers the prefix.
        "prefix_lm": {
            "vocab_size": 128,
            "hidden_size": 32,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "intermediate_size": 64,
            "max_position_embeddings": 64,
            "hidden_dropout_prob": 0.0,
            "attention_probs_dropout_prob": 0.0,
            "embedding_dropout_prob": 0.0,
            "pad_token_id": 0,
            "bos_token_id": 1,
            "eos_token_id": 2,
        },
    },
)

__all__ = ["FAMILY", "PrefixLMConfig", "PrefixLMForCausalLM", "PrefixLMModel"]
