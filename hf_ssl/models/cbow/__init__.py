"""CBOW (Mikolov et al. 2013): word2vec's continuous bag of words, the zoo's static-embedding baseline."""

from transformers import AutoModel, AutoModelForPreTraining

from ..spec import FamilySpec
from .configuration_cbow import CBOW_LOSSES, CBOWConfig
from .modeling_cbow import CBOWForPreTraining, CBOWModel, CBOWPreTrainedModel, CBOWPreTrainingOutput

FAMILY = FamilySpec(
    name="cbow",
    config_class=CBOWConfig,
    heads={
        AutoModel: CBOWModel,
        AutoModelForPreTraining: CBOWForPreTraining,
    },
    hub_task=("feature-extraction", "Continuous bag-of-words"),
    lora_targets=(),  # no attention: embedding tables only
    tiny_configs={
        "cbow": {
            "vocab_size": 128,
            "embedding_size": 16,
            "num_negatives": 3,
        },
    },
)

__all__ = [
    "CBOW_LOSSES",
    "FAMILY",
    "CBOWConfig",
    "CBOWForPreTraining",
    "CBOWModel",
    "CBOWPreTrainedModel",
    "CBOWPreTrainingOutput",
]
