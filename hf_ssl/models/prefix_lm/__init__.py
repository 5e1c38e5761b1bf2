"""Prefix LM (Raffel et al. 2020 §3.2.1): a decoder-only LM with a bidirectional prefix."""

from .configuration_prefix_lm import PrefixLMConfig
from .modeling_prefix_lm import PrefixLMForCausalLM, PrefixLMModel

__all__ = ["PrefixLMConfig", "PrefixLMForCausalLM", "PrefixLMModel"]
