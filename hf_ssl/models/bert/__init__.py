"""BERT (Devlin et al. 2019): configuration, modeling and the converter from transformers."""

from transformers import (
    AutoModel,
    AutoModelForMaskedLM,
    AutoModelForMultipleChoice,
    AutoModelForNextSentencePrediction,
    AutoModelForPreTraining,
    AutoModelForQuestionAnswering,
    AutoModelForSequenceClassification,
    AutoModelForTokenClassification,
)

from ..spec import BenchShape, FamilySpec, encoder_sizes
from .configuration_bert import BertConfig
from .modeling_bert import (
    BertForMaskedLM,
    BertForMultipleChoice,
    BertForNextSentencePrediction,
    BertForPreTraining,
    BertForQuestionAnswering,
    BertForSequenceClassification,
    BertForTokenClassification,
    BertModel,
    BertPreTrainedModel,
)

FAMILY = FamilySpec(
    name="bert",
    config_class=BertConfig,
    heads={
        AutoModel: BertModel,
        AutoModelForPreTraining: BertForPreTraining,
        AutoModelForMaskedLM: BertForMaskedLM,
        AutoModelForNextSentencePrediction: BertForNextSentencePrediction,
        AutoModelForSequenceClassification: BertForSequenceClassification,
        AutoModelForTokenClassification: BertForTokenClassification,
        AutoModelForQuestionAnswering: BertForQuestionAnswering,
        AutoModelForMultipleChoice: BertForMultipleChoice,
    },
    hub_task=("fill-mask", "Masked language modelling + next-sentence prediction"),
    presets={"bert": {"vocab_size": 30522}},
    pretraining="pair",
    tokenizer="wordpiece",
    transformers_converter="convert_bert",
    tiny_configs={
        "bert": {
            "vocab_size": 128,
            "hidden_size": 32,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "intermediate_size": 64,
            "max_position_embeddings": 64,
            "hidden_dropout_prob": 0.0,
            "attention_probs_dropout_prob": 0.0,
            "num_labels": 3,
        },
    },
    bench={
        "bert-small": BenchShape(BertForMaskedLM, encoder_sizes(4, 256, 4), "mlm"),
        "bert-base": BenchShape(BertForMaskedLM, encoder_sizes(12, 768, 12), "mlm"),
    },
)

__all__ = [
    "FAMILY",
    "BertConfig",
    "BertForMaskedLM",
    "BertForMultipleChoice",
    "BertForNextSentencePrediction",
    "BertForPreTraining",
    "BertForQuestionAnswering",
    "BertForSequenceClassification",
    "BertForTokenClassification",
    "BertModel",
    "BertPreTrainedModel",
]
