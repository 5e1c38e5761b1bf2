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

from ..spec import FamilySpec
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
