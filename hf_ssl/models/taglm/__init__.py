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
    tiny_configs={
        "taglm": {
            "vocab_size": 128,
            "lm_config": {
                "model_type": "hf_ssl_bert",
                "vocab_size": 128,
                "hidden_size": 16,
                "num_hidden_layers": 1,
                "num_attention_heads": 2,
                "intermediate_size": 32,
                "max_position_embeddings": 64,
            },
            "lm_output_size": 16,
            "rnn_hidden_size": 8,
            "word_embedding_size": 8,
            "char_filters": 4,
            "char_embedding_size": 4,
            "dropout": 0.0,
            "special_token_ids": [0],
            "id2label": {0: "O", 1: "B-X", 2: "I-X"},
            "label2id": {"O": 0, "B-X": 1, "I-X": 2},
        },
    },
)

__all__ = [
    "FAMILY",
    "TagLMConfig",
    "TagLMForTokenClassification",
    "TagLMPreTrainedModel",
    "TagLMTokenClassifierOutput",
    "encode_characters",
]
