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
from .tokenization_elmo import ElmoTokenizer

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
    lora_targets=(),  # LSTMs, no attention: name the modules to adapt in the LoraConfig
    tokenizer_class=ElmoTokenizer,  # words to characters: no vocabulary file to save
    tiny_configs={
        # Recurrent and static families: no attention kernel, their own inputs (see make_inputs).
        "elmo": {
            "char_embedding_dim": 4,
            "filters": [[1, 8], [2, 8]],
            "n_highway": 1,
            "projection_dim": 8,
            "lstm_dim": 16,
            "n_layers": 2,
            "vocab_size": 128,
            "dropout": 0.0,
            "representation_dropout": 0.0,
            "num_labels": 3,
        },
    },
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
    "ElmoTokenizer",
]
