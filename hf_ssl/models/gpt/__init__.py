"""GPT (Radford et al. 2018, 2019): decoder-only causal language models, GPT-1 or GPT-2 style."""

from transformers import (
    AutoModel,
    AutoModelForCausalLM,
    AutoModelForMultipleChoice,
    AutoModelForPreTraining,
    AutoModelForSequenceClassification,
)

from ..spec import FamilySpec
from .configuration_gpt import GPTConfig
from .modeling_gpt import (
    GPTClassifierOutput,
    GPTForMultipleChoice,
    GPTForSequenceClassification,
    GPTLMHeadModel,
    GPTModel,
    GPTPreTrainedModel,
)

FAMILY = FamilySpec(
    name="gpt",
    config_class=GPTConfig,
    heads={
        AutoModel: GPTModel,
        AutoModelForPreTraining: GPTLMHeadModel,
        AutoModelForCausalLM: GPTLMHeadModel,
        AutoModelForSequenceClassification: GPTForSequenceClassification,
        AutoModelForMultipleChoice: GPTForMultipleChoice,
    },
    hub_task=("text-generation", "Causal language modelling"),
    presets={
        "gpt": {"vocab_size": 40478, "bos_token_id": None, "eos_token_id": None},
        "gpt2": {"vocab_size": 50257},
        "megatron": {"vocab_size": 51200, "bos_token_id": None, "eos_token_id": None},
        "turing": {"vocab_size": 50257},
        "gpt3": {"vocab_size": 50257},
    },
    pretraining="causal",
    tokenizer="gpt2",
    transformers_converter="convert_gpt",
)

__all__ = [
    "FAMILY",
    "GPTClassifierOutput",
    "GPTConfig",
    "GPTForMultipleChoice",
    "GPTForSequenceClassification",
    "GPTLMHeadModel",
    "GPTModel",
    "GPTPreTrainedModel",
]
