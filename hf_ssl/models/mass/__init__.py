"""MASS (Song et al. 2019): masked sequence-to-sequence pretraining on BART's encoder-decoder."""

from transformers import AutoModel, AutoModelForPreTraining, AutoModelForSeq2SeqLM

from ..spec import FamilySpec
from .configuration_mass import MassConfig
from .modeling_mass import MassForConditionalGeneration, MassModel

FAMILY = FamilySpec(
    name="mass",
    config_class=MassConfig,
    heads={
        AutoModel: MassModel,
        AutoModelForPreTraining: MassForConditionalGeneration,
        AutoModelForSeq2SeqLM: MassForConditionalGeneration,
    },
    hub_task=("feature-extraction", "Masked sequence-to-sequence pretraining"),
    presets={"mass": {"vocab_size": 30522}},
    pretraining="denoising",
    tokenizer="wordpiece",
    tiny_configs={
        # MASS-base's shape in miniature: scaled embeddings, dropout-free for the exact tests.
        "mass": {
            "vocab_size": 128,
            "d_model": 32,
            "encoder_layers": 2,
            "decoder_layers": 2,
            "encoder_attention_heads": 4,
            "decoder_attention_heads": 4,
            "encoder_ffn_dim": 64,
            "decoder_ffn_dim": 64,
            "max_position_embeddings": 64,
            "dropout": 0.0,
            "attention_dropout": 0.0,
            "activation_dropout": 0.0,
            "bos_token_id": 3,
            "eos_token_id": 4,
            "decoder_start_token_id": 4,
            "forced_eos_token_id": 4,
        },
    },
)

__all__ = ["FAMILY", "MassConfig", "MassForConditionalGeneration", "MassModel"]
