"""ELECTRA (Clark et al. 2020): generator, discriminator and their joint replaced-token-detection pretraining."""

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

__all__ = [
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
