"""Heads shared by the zoo's models: LM, classification, tagging, span QA, and their losses."""

from .classification import (
    FirstTokenClassifier,
    LinearClassifier,
    Pooler,
    SpanQAHead,
    last_token_states,
    num_classes,
)
from .lm import MaskedLMHead
from .losses import (
    check_label_shape,
    check_label_values,
    cross_entropy,
    select_labelled,
    sequence_classification_loss,
    span_loss,
)
from .replaced_token import ReplacedTokenHead, gumbel_max_sample, replaced_token_loss

__all__ = [
    "FirstTokenClassifier",
    "LinearClassifier",
    "MaskedLMHead",
    "Pooler",
    "ReplacedTokenHead",
    "SpanQAHead",
    "check_label_shape",
    "check_label_values",
    "cross_entropy",
    "gumbel_max_sample",
    "last_token_states",
    "num_classes",
    "replaced_token_loss",
    "select_labelled",
    "sequence_classification_loss",
    "span_loss",
]
