"""T5 (Raffel et al. 2020) and Switch (Fedus et al. 2021): pre-norm encoder-decoders with relative position buckets."""

from transformers import AutoModel, AutoModelForPreTraining, AutoModelForSeq2SeqLM, AutoModelForTextEncoding

from ..spec import FamilySpec
from .configuration_t5 import T5Config
from .modeling_t5 import (
    T5EncoderModel,
    T5ForConditionalGeneration,
    T5Model,
    T5PreTrainedModel,
    T5Seq2SeqLMOutput,
    T5Stack,
    T5StackOutput,
)

FAMILY = FamilySpec(
    name="t5",
    config_class=T5Config,
    heads={
        AutoModel: T5Model,
        AutoModelForPreTraining: T5ForConditionalGeneration,
        AutoModelForSeq2SeqLM: T5ForConditionalGeneration,
        AutoModelForTextEncoding: T5EncoderModel,
    },
    hub_task=("text2text-generation", "Span corruption"),
    presets={"t5": {"vocab_size": 32128}, "switch": {"vocab_size": 32128}},
    pretraining="denoising",
    tokenizer="t5",
    transformers_converter="convert_t5",
)

__all__ = [
    "FAMILY",
    "T5Config",
    "T5EncoderModel",
    "T5ForConditionalGeneration",
    "T5Model",
    "T5PreTrainedModel",
    "T5Seq2SeqLMOutput",
    "T5Stack",
    "T5StackOutput",
]
