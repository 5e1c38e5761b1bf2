"""TagLM (Peters et al. 2017): a CRF sequence tagger with a frozen pretrained LM's states after its first RNN layer."""

from transformers import AutoModelForTokenClassification

from ..spec import FamilySpec
from .configuration_taglm import TagLMConfig
from .modeling_taglm import (
    TagLMForTokenClassification,
    TagLMPreTrainedModel,
    TagLMTokenClassifierOutput,
    encode_characters,
)

FAMILY = FamilySpec(
    name="taglm",
    config_class=TagLMConfig,
    heads={
        AutoModelForTokenClassification: TagLMForTokenClassification,
    },
    hub_task=("token-classification", "Sequence tagging"),
)

__all__ = [
    "FAMILY",
    "TagLMConfig",
    "TagLMForTokenClassification",
    "TagLMPreTrainedModel",
    "TagLMTokenClassifierOutput",
    "encode_characters",
]
