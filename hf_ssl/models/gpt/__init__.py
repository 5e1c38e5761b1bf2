"""GPT (Radford et al. 2018, 2019): decoder-only causal language models, GPT-1 or GPT-2 style."""

from .configuration_gpt import GPTConfig
from .modeling_gpt import (
    GPTClassifierOutput,
    GPTForMultipleChoice,
    GPTForSequenceClassification,
    GPTLMHeadModel,
    GPTModel,
    GPTPreTrainedModel,
)

__all__ = [
    "GPTClassifierOutput",
    "GPTConfig",
    "GPTForMultipleChoice",
    "GPTForSequenceClassification",
    "GPTLMHeadModel",
    "GPTModel",
    "GPTPreTrainedModel",
]
