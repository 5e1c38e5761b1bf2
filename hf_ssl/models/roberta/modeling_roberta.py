"""RoBERTa as a visible diff over hf_ssl's BERT (Liu et al. 2019; fairseq models/roberta).

What changes, and nothing else:
  - positions: fairseq's, counting from padding_idx + 1 with pads at padding_idx;
  - no segment embeddings and no next-sentence head (the paper drops NSP, §4.2);
  - sentence classification reads <s> through fairseq's own dense + tanh head, not the NSP pooler.
The encoder, MLM head, token/QA/multiple-choice heads are BERT's, under the `roberta` prefix.
"""

from __future__ import annotations

from typing import ClassVar

from torch import nn

from ...heads import FirstTokenClassifier, MaskedLMHead, num_classes
from ..bert import modeling_bert as bert
from .configuration_roberta import RobertaConfig


class RobertaPreTrainedModel(bert.BertPreTrainedModel):
    config: RobertaConfig
    config_class = RobertaConfig
    base_model_prefix = "roberta"
    position_offset: ClassVar[str] = "after_padding"
    segment_embeddings: ClassVar[bool] = False


class RobertaModel(RobertaPreTrainedModel, bert.BertModel):
    """The bare RoBERTa encoder."""


RobertaPreTrainedModel.base_model_class = RobertaModel


class RobertaForMaskedLM(RobertaPreTrainedModel, bert.BertForMaskedLM):
    """Encoder + tied masked-LM head: RoBERTa's only pretraining objective (with dynamic masking)."""

    _tied_weights_keys: dict[str, str] = {
        "lm_head.decoder.weight": "roberta.embeddings.word_embeddings.weight"
    }

    def _make_lm_head(self, config: bert.BertConfig) -> MaskedLMHead:
        # fairseq's RobertaLMHead applies exact GELU whatever the encoder's activation.
        return MaskedLMHead(
            config.hidden_size, config.vocab_size, activation="gelu", norm_eps=config.layer_norm_eps
        )


class RobertaForSequenceClassification(RobertaPreTrainedModel, bert.BertForSequenceClassification):
    """Sentence and sentence-pair classification from the <s> state (fairseq's classification head)."""

    def __init__(self, config: RobertaConfig) -> None:
        bert._PooledHeadModel.__init__(self, config, add_pooling_layer=False)
        dropout = (
            config.classifier_dropout if config.classifier_dropout is not None else config.hidden_dropout_prob
        )
        self.classifier: nn.Module = FirstTokenClassifier(config.hidden_size, num_classes(config), dropout)
        self.post_init()

    def _logits(self, out: bert.BaseModelOutputWithPoolingAndCrossAttentions) -> bert.torch.Tensor:
        return self.classifier(out.last_hidden_state)  # (b, c)


class RobertaForMultipleChoice(RobertaPreTrainedModel, bert.BertForMultipleChoice):
    """Multiple choice on the pooled state of each (context, choice) row."""


class RobertaForTokenClassification(RobertaPreTrainedModel, bert.BertForTokenClassification):
    """A label per token."""


class RobertaForQuestionAnswering(RobertaPreTrainedModel, bert.BertForQuestionAnswering):
    """Extractive QA with start/end vectors."""
