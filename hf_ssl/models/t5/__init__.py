"""T5 (Raffel et al. 2020) and Switch (Fedus et al. 2021): pre-norm encoder-decoders with relative position buckets."""

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

__all__ = [
    "T5Config",
    "T5EncoderModel",
    "T5ForConditionalGeneration",
    "T5Model",
    "T5PreTrainedModel",
    "T5Seq2SeqLMOutput",
    "T5Stack",
    "T5StackOutput",
]
