"""Prefix LM configuration (Raffel et al. 2020, "Exploring the Limits of Transfer Learning", §3.2.1).

A decoder-only Transformer whose attention is fully visible over a prefix (the "inputs") and causal
over the rest (the "targets"): the third of the paper's three attention patterns (Fig. 3), between
a causal LM and an encoder-decoder. The network is GPT's; the defaults are GPT-2 small's, pre-LN.
"""

from __future__ import annotations

from ..gpt.configuration_gpt import GPTConfig


class PrefixLMConfig(GPTConfig):
    """GPTConfig for a prefix LM; see GPTConfig for the fields."""

    model_type = "hf_ssl_prefix_lm"
