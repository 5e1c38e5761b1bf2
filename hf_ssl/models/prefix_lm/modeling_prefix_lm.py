"""Prefix LM: GPT's decoder with a bidirectional prefix (Raffel et al. 2020 §3.2.1, Fig. 3 right).

Every forward takes `prefix_lengths` (b,): row i's first prefix_lengths[i] columns attend to each
other in both directions, the rest causally (hf_ssl.layers.masks.causal_mask). Training data comes
from `hf_ssl.objectives.PrefixLMCollator`, which puts the loss only on the tokens after the prefix.

Generation treats the whole prompt as the prefix: its states are computed once, bidirectionally,
then every new token attends causally. Cached and uncached decoding agree because a new token
never changes a prompt state (the prompt cannot see it).

Shapes: b batch, t length.
"""

from __future__ import annotations

from typing import Any

import torch

from ..gpt.modeling_gpt import GPTLMHeadModel, GPTModel
from .configuration_prefix_lm import PrefixLMConfig


class PrefixLMModel(GPTModel):
    """The bare prefix-LM decoder (see GPTModel; pass `prefix_lengths`)."""

    config_class = PrefixLMConfig


class PrefixLMForCausalLM(GPTLMHeadModel):
    """Prefix LM with its tied LM head; `generate` makes the prompt the bidirectional prefix."""

    config_class = PrefixLMConfig

    def generate(self, inputs: torch.Tensor | None = None, **kwargs: Any) -> Any:  # type: ignore[override, unused-ignore]
        """As GenerationMixin.generate; `prefix_lengths` defaults to the prompt's width (b,)."""
        prompt = inputs if inputs is not None else kwargs.get("input_ids")
        if kwargs.get("prefix_lengths") is None and prompt is not None:
            # Left-padded prompts all end at the last column; padding stays masked by attention_mask.
            kwargs["prefix_lengths"] = torch.full((prompt.shape[0],), prompt.shape[1], device=prompt.device)
        # GenerationMixin.generate is wrapped by torch.no_grad(), which type checkers cannot bind.
        return super().generate(inputs, **kwargs)  # type: ignore[misc, unused-ignore]
