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
)

__all__ = ["FAMILY", "PrefixLMConfig", "PrefixLMForCausalLM", "PrefixLMModel"]
