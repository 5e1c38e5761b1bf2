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

from ..spec import FamilySpec
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
