"""ELECTRA (Clark et al. 2020): generator, discriminator and their joint replaced-token-detection pretraining."""

from transformers import (
    AutoModel,
    AutoModelForMaskedLM,
    AutoModelForPreTraining,
    AutoModelForQuestionAnswering,
    AutoModelForSequenceClassification,
    AutoModelForTokenClassification,
)

from ..spec import BenchShape, FamilySpec, encoder_sizes
from .configuration_electra import ElectraConfig
from .modeling_electra import (
    ElectraForMaskedLM,
    ElectraForPreTraining,
    ElectraForPreTrainingOutput,
    ElectraForQuestionAnswering,
    ElectraForReplacedTokenDetection,
    ElectraForSequenceClassification,
    ElectraForTokenClassification,
    ElectraModel,
    ElectraPreTrainedModel,
)

FAMILY = FamilySpec(
    name="electra",
    config_class=ElectraConfig,
    heads={
        AutoModel: ElectraModel,
        AutoModelForPreTraining: ElectraForPreTraining,
        AutoModelForMaskedLM: ElectraForMaskedLM,
        AutoModelForSequenceClassification: ElectraForSequenceClassification,
        AutoModelForTokenClassification: ElectraForTokenClassification,
        AutoModelForQuestionAnswering: ElectraForQuestionAnswering,
    },
    hub_task=("fill-mask", "Replaced token detection"),
    presets={"electra": {"vocab_size": 30522}},
    pretraining="mlm",
    tokenizer="wordpiece",
    transformers_converter="convert_electra",
    tiny_configs={
        # Generator at half width (16 = E: no generator projection; the discriminator projects 16 -> 32).
        "electra": {
            "vocab_size": 128,
            "embedding_size": 16,
            "hidden_size": 32,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "intermediate_size": 64,
            "max_position_embeddings": 64,
            "hidden_dropout_prob": 0.0,
            "attention_probs_dropout_prob": 0.0,
            "generator_size": 0.5,
            "num_labels": 3,
        },
    },
    bench={
        "electra-small": BenchShape(
            ElectraForMaskedLM, {**encoder_sizes(12, 256, 4), "embedding_size": 128}, "mlm"
        ),
    },
)

__all__ = [
    "FAMILY",
    "ElectraConfig",
    "ElectraForMaskedLM",
    "ElectraForPreTraining",
    "ElectraForPreTrainingOutput",
    "ElectraForQuestionAnswering",
    "ElectraForReplacedTokenDetection",
    "ElectraForSequenceClassification",
    "ElectraForTokenClassification",
    "ElectraModel",
    "ElectraPreTrainedModel",
]
