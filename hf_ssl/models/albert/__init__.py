"""ALBERT (Lan et al. 2020): BERT with factorized embeddings, shared layers and sentence-order prediction."""

from transformers import (
    AutoModel,
    AutoModelForMaskedLM,
    AutoModelForMultipleChoice,
    AutoModelForPreTraining,
    AutoModelForQuestionAnswering,
    AutoModelForSequenceClassification,
    AutoModelForTokenClassification,
)

from ..spec import BenchShape, FamilySpec, encoder_sizes
from .configuration_albert import AlbertConfig
from .modeling_albert import (
    AlbertForMaskedLM,
    AlbertForMultipleChoice,
    AlbertForPreTraining,
    AlbertForQuestionAnswering,
    AlbertForSequenceClassification,
    AlbertForTokenClassification,
    AlbertModel,
    AlbertPreTrainedModel,
)

FAMILY = FamilySpec(
    name="albert",
    config_class=AlbertConfig,
    heads={
        AutoModel: AlbertModel,
        AutoModelForPreTraining: AlbertForPreTraining,
        AutoModelForMaskedLM: AlbertForMaskedLM,
        AutoModelForSequenceClassification: AlbertForSequenceClassification,
        AutoModelForTokenClassification: AlbertForTokenClassification,
        AutoModelForQuestionAnswering: AlbertForQuestionAnswering,
        AutoModelForMultipleChoice: AlbertForMultipleChoice,
    },
    hub_task=("fill-mask", "Masked language modelling + sentence-order prediction"),
    presets={"albert": {"vocab_size": 30000}},
    pretraining="pair",
    tokenizer="wordpiece",
    transformers_converter="convert_albert",
    tiny_configs={
        # 3 layers over 2 shared groups: exercises both factorized embeddings and uneven sharing.
        "albert": {
            "vocab_size": 128,
            "embedding_size": 16,
            "hidden_size": 32,
            "num_hidden_layers": 3,
            "num_hidden_groups": 2,
            "num_attention_heads": 4,
            "intermediate_size": 64,
            "max_position_embeddings": 64,
            "classifier_dropout": 0.0,
            "num_labels": 3,
        },
    },
    bench={
        "albert-small": BenchShape(
            AlbertForMaskedLM, {**encoder_sizes(4, 256, 4), "embedding_size": 128}, "mlm"
        ),
    },
)

__all__ = [
    "FAMILY",
    "AlbertConfig",
    "AlbertForMaskedLM",
    "AlbertForMultipleChoice",
    "AlbertForPreTraining",
    "AlbertForQuestionAnswering",
    "AlbertForSequenceClassification",
    "AlbertForTokenClassification",
    "AlbertModel",
    "AlbertPreTrainedModel",
]
