"""GPT (Radford et al. 2018, 2019): decoder-only causal language models, GPT-1 or GPT-2 style."""

from transformers import (
    AutoModel,
    AutoModelForCausalLM,
    AutoModelForMultipleChoice,
    AutoModelForPreTraining,
    AutoModelForSequenceClassification,
)

from ..spec import BenchShape, FamilySpec, encoder_sizes
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
    tiny_configs={
        "gpt2": {
            "vocab_size": 128,
            "hidden_size": 32,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "intermediate_size": 64,
            "max_position_embeddings": 64,
            "norm_position": "pre",
            "hidden_dropout_prob": 0.0,
            "attention_probs_dropout_prob": 0.0,
            "embedding_dropout_prob": 0.0,
            "pad_token_id": 0,
            "bos_token_id": 1,
            "eos_token_id": 2,
        },
        "gpt1": {
            "vocab_size": 128,
            "hidden_size": 32,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "intermediate_size": 128,
            "max_position_embeddings": 64,
            "norm_position": "post",
            "hidden_dropout_prob": 0.0,
            "attention_probs_dropout_prob": 0.0,
            "embedding_dropout_prob": 0.0,
            "pad_token_id": 0,
            "bos_token_id": 1,
            "eos_token_id": 2,
        },
    },
    bench={
        "gpt2-small": BenchShape(
            GPTLMHeadModel,
            {**encoder_sizes(12, 768, 12), "max_position_embeddings": 1024},
            "causal",
            pad_token_id=50256,
        ),
        "gpt2-mini": BenchShape(GPTLMHeadModel, encoder_sizes(4, 256, 4), "causal", pad_token_id=50256),
        # post-norm GPT-1: transformers' twin is OpenAIGPTLMHeadModel
        "gpt1-mini": BenchShape(
            GPTLMHeadModel,
            {
                **encoder_sizes(4, 256, 4),
                "vocab_size": 40478,
                "norm_position": "post",
                "hidden_act": "gelu",
                "bos_token_id": None,
                "eos_token_id": None,
            },
            "causal",
        ),
    },
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
