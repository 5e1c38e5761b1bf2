"""ALBERT as a visible diff over hf_ssl's BERT (Lan et al. 2020; google-research/albert modeling.py).

What changes, and nothing else:
  - factorized embeddings: tables of width E, then one linear E->H (`embeddings.projection`);
  - cross-layer sharing: `num_hidden_groups` parameter sets reused across the L layers (the shared
    TransformerStack's grouping);
  - the MLM head maps H->E before the tied E x V table (run_pretraining.py:294-320);
  - pretraining pairs MLM with sentence-order prediction, not NSP (§4.6): the pair label is
    `sentence_order_label` (0 = in order, 1 = swapped).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from transformers.utils import ModelOutput

from ..bert import modeling_bert as bert
from .configuration_albert import AlbertConfig


class AlbertPreTrainedModel(bert.BertPreTrainedModel):
    config: AlbertConfig
    config_class = AlbertConfig
    base_model_prefix = "albert"
    # transformers' ALBERT applies embedding_hidden_mapping_in even when E == H; the reference code
    # only when they differ. Published sizes all have E=128 != H, so both agree there.
    always_project_embeddings: ClassVar[bool] = True


class AlbertModel(AlbertPreTrainedModel, bert.BertModel):
    """The bare ALBERT encoder."""


AlbertPreTrainedModel.base_model_class = AlbertModel

_TIED = {"lm_head.decoder.weight": "albert.embeddings.word_embeddings.weight"}


@dataclass
class AlbertForPreTrainingOutput(ModelOutput):
    """MLM + sentence-order outputs, named as transformers' ALBERT names them (`sop_logits`).
    `loss` = mlm_loss + pair_loss; the tuple form keeps BERT's order.

    In training mode with labels, `prediction_logits` holds only the masked positions (n, V).
    """

    loss: torch.Tensor | None = None
    prediction_logits: torch.Tensor | None = None
    sop_logits: torch.Tensor | None = None  # (b, 2): 0 = in order, 1 = swapped
    mlm_loss: torch.Tensor | None = None
    pair_loss: torch.Tensor | None = None
    hidden_states: tuple[torch.Tensor, ...] | None = None
    attentions: tuple[torch.Tensor, ...] | None = None


class AlbertForPreTraining(AlbertPreTrainedModel, bert.BertForPreTraining):
    """MLM + sentence-order prediction on the pooled state; the two losses summed."""

    _tied_weights_keys: dict[str, str] = _TIED

    def forward(  # type: ignore[override]
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        sentence_order_label: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        num_items_in_batch: torch.Tensor | int | None = None,
        **kwargs: Any,
    ) -> AlbertForPreTrainingOutput | tuple[Any, ...]:
        """labels (b, t) for MLM; sentence_order_label (b,): 0 = A then B as written, 1 = swapped.

        The name is part of the signature so Trainer keeps the column and treats it as a label.
        """
        out = super().forward(
            input_ids,
            attention_mask,
            token_type_ids,
            position_ids,
            inputs_embeds,
            labels=labels,
            next_sentence_label=sentence_order_label,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            return_dict=True,
            num_items_in_batch=num_items_in_batch,
            **kwargs,
        )
        assert isinstance(out, bert.BertForPreTrainingOutput)
        output = AlbertForPreTrainingOutput(
            loss=out.loss,
            prediction_logits=out.prediction_logits,
            sop_logits=out.seq_relationship_logits,
            mlm_loss=out.mlm_loss,
            pair_loss=out.pair_loss,
            hidden_states=out.hidden_states,
            attentions=out.attentions,
        )
        return bert._with_tuple(output, return_dict, self.config)


class AlbertForMaskedLM(AlbertPreTrainedModel, bert.BertForMaskedLM):
    """Encoder + masked-LM head through the factorized, tied embedding."""

    _tied_weights_keys: dict[str, str] = _TIED


class AlbertForSequenceClassification(AlbertPreTrainedModel, bert.BertForSequenceClassification):
    """Sentence and sentence-pair classification on the pooled [CLS] state."""


class AlbertForMultipleChoice(AlbertPreTrainedModel, bert.BertForMultipleChoice):
    """Multiple choice on the pooled state of each (context, choice) row."""


class AlbertForTokenClassification(AlbertPreTrainedModel, bert.BertForTokenClassification):
    """A label per token."""


class AlbertForQuestionAnswering(AlbertPreTrainedModel, bert.BertForQuestionAnswering):
    """Extractive QA with start/end vectors."""
