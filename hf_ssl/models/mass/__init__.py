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
    hub_task=("text2text-generation", "Masked sequence-to-sequence pretraining"),
    presets={"mass": {"vocab_size": 30522}},
    pretraining="denoising",
    tokenizer="wordpiece",
)

__all__ = ["FAMILY", "MassConfig", "MassForConditionalGeneration", "MassModel"]
