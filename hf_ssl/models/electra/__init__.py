"""ELECTRA (Clark et al. 2020): generator, discriminator and their joint replaced-token-detection pretraining."""

from transformers import (
    AutoModel,
    AutoModelForMaskedLM,
    AutoModelForPreTraining,
    AutoModelForQuestionAnswering,
    AutoModelForSequenceClassification,
    AutoModelForTokenClassification,
)

from ..spec import FamilySpec
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
