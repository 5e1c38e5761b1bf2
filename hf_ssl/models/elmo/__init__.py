"""ELMo (Peters et al. 2018): configuration, modeling and the loader of bilm-tf/AllenNLP weights."""

from transformers import (
    AutoModel,
    AutoModelForPreTraining,
    AutoModelForSequenceClassification,
    AutoModelForTokenClassification,
)

from ..spec import FamilySpec
from .configuration_elmo import ElmoConfig
from .modeling_elmo import (
    ElmoForPreTraining,
    ElmoForPreTrainingOutput,
    ElmoForSequenceClassification,
    ElmoForTokenClassification,
    ElmoModel,
    ElmoModelOutput,
    ElmoPreTrainedModel,
)

FAMILY = FamilySpec(
    name="elmo",
    config_class=ElmoConfig,
    heads={
        AutoModel: ElmoModel,
        AutoModelForPreTraining: ElmoForPreTraining,
        AutoModelForTokenClassification: ElmoForTokenClassification,
        AutoModelForSequenceClassification: ElmoForSequenceClassification,
    },
    hub_task=("feature-extraction", "Bidirectional language modelling"),
)

__all__ = [
    "FAMILY",
    "ElmoConfig",
    "ElmoForPreTraining",
    "ElmoForPreTrainingOutput",
    "ElmoForSequenceClassification",
    "ElmoForTokenClassification",
    "ElmoModel",
    "ElmoModelOutput",
    "ElmoPreTrainedModel",
]
