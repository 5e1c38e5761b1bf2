"""TagLM (Peters et al. 2017): a CRF sequence tagger with a frozen pretrained LM's states after its first RNN layer."""

from .configuration_taglm import TagLMConfig
from .modeling_taglm import (
    TagLMForTokenClassification,
    TagLMPreTrainedModel,
    TagLMTokenClassifierOutput,
    encode_characters,
)

__all__ = [
    "TagLMConfig",
    "TagLMForTokenClassification",
    "TagLMPreTrainedModel",
    "TagLMTokenClassifierOutput",
    "encode_characters",
]
