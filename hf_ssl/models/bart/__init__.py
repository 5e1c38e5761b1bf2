"""BART (Lewis et al. 2020): a denoising encoder-decoder; MASS reuses its encoder-decoder."""

from transformers import (
    AutoModel,
    AutoModelForPreTraining,
    AutoModelForQuestionAnswering,
    AutoModelForSeq2SeqLM,
    AutoModelForSequenceClassification,
)

from ..spec import FamilySpec
from .configuration_bart import BartConfig
from .modeling_bart import (
    BartDecoder,
    BartEncoder,
    BartForConditionalGeneration,
    BartForQuestionAnswering,
    BartForSequenceClassification,
    BartModel,
    BartPreTrainedModel,
    shift_tokens_right,
)

FAMILY = FamilySpec(
    name="bart",
    config_class=BartConfig,
    heads={
        AutoModel: BartModel,
        AutoModelForPreTraining: BartForConditionalGeneration,
        AutoModelForSeq2SeqLM: BartForConditionalGeneration,
        AutoModelForSequenceClassification: BartForSequenceClassification,
        AutoModelForQuestionAnswering: BartForQuestionAnswering,
    },
    hub_task=("text2text-generation", "Denoising autoencoding"),
    presets={"bart": {"vocab_size": 50265}},
    pretraining="denoising",
    tokenizer="byte_level_bpe",
    transformers_converter="convert_bart",
)

__all__ = [
    "FAMILY",
    "BartConfig",
    "BartDecoder",
    "BartEncoder",
    "BartForConditionalGeneration",
    "BartForQuestionAnswering",
    "BartForSequenceClassification",
    "BartModel",
    "BartPreTrainedModel",
    "shift_tokens_right",
]
