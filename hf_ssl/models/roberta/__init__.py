"""RoBERTa (Liu et al. 2019): BERT with fairseq positions, no segments, no NSP."""

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
from .configuration_roberta import RobertaConfig
from .modeling_roberta import (
    RobertaForMaskedLM,
    RobertaForMultipleChoice,
    RobertaForQuestionAnswering,
    RobertaForSequenceClassification,
    RobertaForTokenClassification,
    RobertaModel,
    RobertaPreTrainedModel,
)

FAMILY = FamilySpec(
    name="roberta",
    config_class=RobertaConfig,
    heads={
        AutoModel: RobertaModel,
        AutoModelForPreTraining: RobertaForMaskedLM,
        AutoModelForMaskedLM: RobertaForMaskedLM,
        AutoModelForSequenceClassification: RobertaForSequenceClassification,
        AutoModelForTokenClassification: RobertaForTokenClassification,
        AutoModelForQuestionAnswering: RobertaForQuestionAnswering,
        AutoModelForMultipleChoice: RobertaForMultipleChoice,
    },
    hub_task=("fill-mask", "Masked language modelling"),
    presets={"roberta": {"vocab_size": 50265}},
    pretraining="mlm",
    tokenizer="byte_level_bpe",
    transformers_converter="convert_roberta",
    tiny_configs={
        "roberta": {
            "vocab_size": 128,
            "hidden_size": 32,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "intermediate_size": 64,
            "max_position_embeddings": 66,
            "hidden_dropout_prob": 0.0,
            "attention_probs_dropout_prob": 0.0,
            "num_labels": 3,
        },
    },
    bench={
        "roberta-small": BenchShape(
            RobertaForMaskedLM,
            {**encoder_sizes(4, 256, 4), "max_position_embeddings": 514},
            "mlm",
            pad_token_id=1,
            position_offset=2,
        ),
    },
)

__all__ = [
    "FAMILY",
    "RobertaConfig",
    "RobertaForMaskedLM",
    "RobertaForMultipleChoice",
    "RobertaForQuestionAnswering",
    "RobertaForSequenceClassification",
    "RobertaForTokenClassification",
    "RobertaModel",
    "RobertaPreTrainedModel",
]
