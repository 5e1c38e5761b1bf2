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

from ..spec import FamilySpec
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
