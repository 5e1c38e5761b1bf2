"""T5 (Raffel et al. 2020) and Switch (Fedus et al. 2021): pre-norm encoder-decoders with relative position buckets."""

from typing import Any

from transformers import AutoModel, AutoModelForPreTraining, AutoModelForSeq2SeqLM, AutoModelForTextEncoding

from ..spec import BenchShape, FamilySpec
from .configuration_t5 import T5Config
from .modeling_t5 import (
    T5EncoderModel,
    T5ForConditionalGeneration,
    T5Model,
    T5PreTrainedModel,
    T5Seq2SeqLMOutput,
    T5Stack,
    T5StackOutput,
)

# The speed benchmark's small T5 (T5-small's vocabulary and head size, 4 layers of 256).
_BENCH_MINI: dict[str, Any] = {
    "vocab_size": 32128,
    "d_model": 256,
    "d_kv": 64,
    "d_ff": 1024,
    "num_layers": 4,
    "num_heads": 4,
}

FAMILY = FamilySpec(
    name="t5",
    config_class=T5Config,
    heads={
        AutoModel: T5Model,
        AutoModelForPreTraining: T5ForConditionalGeneration,
        AutoModelForSeq2SeqLM: T5ForConditionalGeneration,
        AutoModelForTextEncoding: T5EncoderModel,
    },
    hub_task=("feature-extraction", "Span corruption"),
    presets={"t5": {"vocab_size": 32128}, "switch": {"vocab_size": 32128}},
    pretraining="denoising",
    tokenizer="t5",
    transformers_converter="convert_t5",
    tiny_configs={
        # T5 v1.1 (gated GELU, untied head) and a Switch variant: 4 experts, every other FFN sparse.
        "t5": {
            "vocab_size": 128,
            "d_model": 32,
            "d_kv": 8,
            "d_ff": 64,
            "num_heads": 4,
            "num_layers": 2,
            "dropout_rate": 0.0,
            "feed_forward_proj": "gated-gelu",
            "tie_word_embeddings": False,
            "num_labels": 3,
        },
        "switch": {
            "vocab_size": 128,
            "d_model": 32,
            "d_kv": 8,
            "d_ff": 64,
            "num_heads": 4,
            "num_layers": 2,
            "dropout_rate": 0.0,
            "num_experts": 4,
            "expert_capacity": 64,
            "router_jitter_noise": 0.0,
        },
    },
    bench={
        "t5-mini": BenchShape(T5ForConditionalGeneration, _BENCH_MINI, "seq2seq"),
        # T5 v1.1's gated-GELU feed-forward (head tied: transformers' T5 always ties it)
        "t5-gated-mini": BenchShape(
            T5ForConditionalGeneration, {**_BENCH_MINI, "feed_forward_proj": "gated-gelu"}, "seq2seq"
        ),
        # every other feed-forward layer a top-1 mixture of 8 experts, 32 tokens each a row
        "switch-mini": BenchShape(
            T5ForConditionalGeneration,
            {**_BENCH_MINI, "num_experts": 8, "expert_capacity": 32},
            "seq2seq",
        ),
        "t5-small": BenchShape(T5ForConditionalGeneration, {"vocab_size": 32128}, "seq2seq"),
    },
)

__all__ = [
    "FAMILY",
    "T5Config",
    "T5EncoderModel",
    "T5ForConditionalGeneration",
    "T5Model",
    "T5PreTrainedModel",
    "T5Seq2SeqLMOutput",
    "T5Stack",
    "T5StackOutput",
]
