"""BART (Lewis et al. 2020): a denoising encoder-decoder; MASS reuses its encoder-decoder."""

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

__all__ = [
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
