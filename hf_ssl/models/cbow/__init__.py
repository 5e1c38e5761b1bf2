"""CBOW (Mikolov et al. 2013): word2vec's continuous bag of words, the zoo's static-embedding baseline."""

from .configuration_cbow import CBOW_LOSSES, CBOWConfig
from .modeling_cbow import CBOWForPreTraining, CBOWModel, CBOWPreTrainedModel, CBOWPreTrainingOutput

__all__ = [
    "CBOW_LOSSES",
    "CBOWConfig",
    "CBOWForPreTraining",
    "CBOWModel",
    "CBOWPreTrainedModel",
    "CBOWPreTrainingOutput",
]
