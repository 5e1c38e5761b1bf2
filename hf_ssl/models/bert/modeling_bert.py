"""BERT: a post-norm bidirectional Transformer encoder and its pretraining and downstream heads.

Devlin et al. 2019, §3 and Fig. 1/4; reference code google-research/bert modeling.py and
run_pretraining.py. The encoder is the shared `TokenEmbeddings` + `TransformerStack`; this file maps
the config onto those layers in one place (`BertModel.__init__`) and adds BERT's heads.

Derived encoders (RoBERTa, ALBERT, ELECTRA) subclass `BertPreTrainedModel` and change only what
their papers change, through the class attributes documented on it.

Shapes: b batch, c choices, t length, H hidden, V vocabulary, n masked positions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import nn
from transformers import PreTrainedModel
from transformers.modeling_outputs import (
    BaseModelOutputWithPoolingAndCrossAttentions,
    MaskedLMOutput,
    MultipleChoiceModelOutput,
    NextSentencePredictorOutput,
    QuestionAnsweringModelOutput,
    SequenceClassifierOutput,
    TokenClassifierOutput,
)
from transformers.utils import ModelOutput

from ...constants import IGNORE_INDEX
from ...heads import (
    MaskedLMHead,
    Pooler,
    SpanQAHead,
    check_label_shape,
    cross_entropy,
    num_classes,
    sequence_classification_loss,
    span_loss,
)
from ...layers import TokenEmbeddings, TransformerLayer, TransformerStack, bidirectional_mask
from ...layers.attention import MultiHeadAttention
from ...layers.embeddings import as_embedding
from ...layers.masks import sequence_ids_from_position_ids
from ..base import HfSslPreTrainedModel
from ..validation import (
    check_attention_mask,
    check_length,
    check_like,
    check_position_ids,
    check_sequence,
    check_token_type_ids,
    value_checks_enabled,
)
from .configuration_bert import BertConfig


class BertPreTrainedModel(HfSslPreTrainedModel):
    """Base of every hf_ssl BERT-family model.

    Class attributes that derived encoders override:
        base_model_class: the bare encoder class the heads build (BertModel, RobertaModel, ...).
        position_offset: "absolute" (BERT) or "after_padding" (RoBERTa's fairseq positions).
        segment_embeddings: whether token_type_ids exist (RoBERTa: False).
        always_project_embeddings: keep the E->H embedding projection even when E == H (ALBERT).
    Config fields that derived configs add and the encoder reads: `embedding_size` (E, factorized
    embeddings) and `num_hidden_groups` (cross-layer sharing).
    """

    config: BertConfig
    config_class = BertConfig
    base_model_prefix = "bert"
    supports_gradient_checkpointing = True
    _supports_sdpa = True
    _supports_flex_attn = True
    _supports_attention_backend = True
    _no_split_modules: list[str] = ["TokenEmbeddings", "TransformerLayer"]
    position_offset: ClassVar[str] = "absolute"
    segment_embeddings: ClassVar[bool] = True
    always_project_embeddings: ClassVar[bool] = False
    base_model_class: ClassVar[type[PreTrainedModel]]

    @property
    def encoder_model(self) -> BertModel:
        """The bare encoder inside any head model."""
        return getattr(self, self.base_model_prefix)

    def _attach_encoder(self, config: BertConfig, add_pooling_layer: bool) -> None:
        """Build this family's bare encoder under `base_model_prefix` (bert, roberta, ...)."""
        setattr(
            self, self.base_model_prefix, self.base_model_class(config, add_pooling_layer=add_pooling_layer)
        )


class BertModel(BertPreTrainedModel):
    """The bare encoder: embeddings -> Transformer stack (-> pooler on [CLS])."""

    def __init__(self, config: BertConfig, add_pooling_layer: bool = True) -> None:
        super().__init__(config)
        embedding_size = getattr(config, "embedding_size", None) or config.hidden_size
        self.embeddings = TokenEmbeddings(
            config.vocab_size,
            embedding_size,
            config.max_position_embeddings,
            type_vocab_size=config.type_vocab_size if self.segment_embeddings else 0,
            padding_idx=config.pad_token_id,
            hidden_size=config.hidden_size,
            position_offset=self.position_offset,
            layer_norm_eps=config.layer_norm_eps,
            dropout=config.hidden_dropout_prob,
            always_project=self.always_project_embeddings,
        )
        self.encoder = TransformerStack(
            config.num_hidden_layers,
            num_groups=getattr(config, "num_hidden_groups", None),
            hidden_size=config.hidden_size,
            num_heads=config.num_attention_heads,
            intermediate_size=config.intermediate_size,
            activation=config.hidden_act,
            norm_position="post",
            norm_eps=config.layer_norm_eps,
            dropout=config.hidden_dropout_prob,
            attention_dropout=config.attention_probs_dropout_prob,
            is_causal=False,
        )
        self.pooler = Pooler(config.hidden_size) if add_pooling_layer else None
        self.post_init()

    @property
    def max_length(self) -> int:
        """The longest input the position table covers: RoBERTa's positions start after padding_idx."""
        padding = self.config.pad_token_id
        offset = padding + 1 if self.position_offset == "after_padding" and padding is not None else 0
        return self.config.max_position_embeddings - offset

    def get_input_embeddings(self) -> nn.Embedding:
        return self.embeddings.word_embeddings

    def set_input_embeddings(self, value: nn.Module) -> None:
        self.embeddings.word_embeddings = as_embedding(value)

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        only_at: torch.Tensor | None = None,
        **kwargs: Any,
    ) -> BaseModelOutputWithPoolingAndCrossAttentions | tuple[Any, ...]:
        """input_ids (b, t) -> last_hidden_state (b, t, H), pooler_output (b, H).

        Packed rows: when `position_ids` restart inside a row (documents concatenated without
        padding), attention is block-diagonal, so documents never see each other.

        `only_at` (b, t) bool: last_hidden_state is returned only there, as (n, H) in row-major
        order, and the last layer computes only those tokens (MLM training reads nothing else).
        No pooler output, hidden states or attentions in that mode (pool the [CLS] rows yourself).
        """
        config = self.config
        shape = check_sequence(
            "input_ids",
            input_ids,
            inputs_embeds,
            config.vocab_size,
            width=self.embeddings.word_embeddings.embedding_dim,
        )
        check_like(shape, only_at=only_at, token_type_ids=token_type_ids, position_ids=position_ids)
        check_attention_mask(attention_mask, shape)
        check_length(shape[1], self.max_length)
        check_position_ids(position_ids, config.max_position_embeddings)
        segments = config.type_vocab_size if self.segment_embeddings else 0
        check_token_type_ids(token_type_ids, segments, type(self).__name__)

        output_attentions = self.config.output_attentions if output_attentions is None else output_attentions
        output_hidden_states = (
            self.config.output_hidden_states if output_hidden_states is None else output_hidden_states
        )
        return_dict = self.config.return_dict if return_dict is None else return_dict
        mask_implementation = self.config._attn_implementation or "sdpa"
        # sdpa returns no weights: a call that asks for them runs the eager kernel on the same (bool) mask.
        attn_implementation = "eager" if output_attentions else mask_implementation
        if output_attentions and mask_implementation == "flex_attention":
            raise ValueError(
                "output_attentions=True needs attn_implementation 'eager' or 'sdpa', not flex_attention"
            )

        embeddings = self.embeddings(
            input_ids, token_type_ids=token_type_ids, position_ids=position_ids, inputs_embeds=inputs_embeds
        )  # (b, t, H)
        sequence_ids = None
        if position_ids is not None:
            sequence_ids = sequence_ids_from_position_ids(position_ids)  # (b, t)
            # One document per row: a padding mask suffices. Tracing keeps the document mask, which
            # is right either way, instead of reading the ids on the host.
            if value_checks_enabled() and not bool(sequence_ids[:, -1].any()):
                sequence_ids = None
        mask = bidirectional_mask(self.config, embeddings, attention_mask, sequence_ids=sequence_ids)
        hidden, all_hidden, attentions, _ = self.encoder(
            embeddings,
            mask,
            attn_implementation=attn_implementation,
            output_hidden_states=output_hidden_states,
            output_attentions=output_attentions,
            only_at=only_at,
        )
        pooled = self.pooler(hidden) if self.pooler is not None and only_at is None else None
        output = BaseModelOutputWithPoolingAndCrossAttentions(
            last_hidden_state=hidden, pooler_output=pooled, hidden_states=all_hidden, attentions=attentions
        )
        return output if return_dict else output.to_tuple()


BertPreTrainedModel.base_model_class = BertModel


def _with_tuple(output: ModelOutput, return_dict: bool | None, config: BertConfig) -> Any:
    return output if (config.return_dict if return_dict is None else return_dict) else output.to_tuple()


@dataclass
class BertForPreTrainingOutput(ModelOutput):
    """MLM + sentence-pair outputs. `loss` = mlm_loss + pair_loss (NSP for BERT, SOP for ALBERT).

    In training mode with labels, `prediction_logits` holds only the masked positions (n, V).
    """

    loss: torch.Tensor | None = None
    prediction_logits: torch.Tensor | None = None
    seq_relationship_logits: torch.Tensor | None = None
    mlm_loss: torch.Tensor | None = None
    pair_loss: torch.Tensor | None = None
    hidden_states: tuple[torch.Tensor, ...] | None = None
    attentions: tuple[torch.Tensor, ...] | None = None


class BertForMaskedLM(BertPreTrainedModel):
    """Encoder + masked-LM head (tied to the word embeddings)."""

    _tied_weights_keys: dict[str, str] = {"lm_head.decoder.weight": "bert.embeddings.word_embeddings.weight"}

    def __init__(self, config: BertConfig) -> None:
        super().__init__(config)
        self._attach_encoder(config, add_pooling_layer=False)
        self.lm_head = self._make_lm_head(config)
        self.post_init()

    def _make_lm_head(self, config: BertConfig) -> MaskedLMHead:
        return MaskedLMHead(
            config.hidden_size,
            config.vocab_size,
            embedding_size=getattr(config, "embedding_size", None),
            activation=config.hidden_act,
            norm_eps=config.layer_norm_eps,
        )

    def get_output_embeddings(self) -> nn.Linear:
        return self.lm_head.decoder

    def _predicts_sparsely(
        self, labels: torch.Tensor | None, output_attentions: bool | None, output_hidden_states: bool | None
    ) -> bool:
        """Whether only the labelled positions need the last layer: training, labels given (some of
        them real), no attentions or hidden states asked for, and a tensor-mask kernel."""
        if labels is None or not self.training:
            return False
        if self.config.output_attentions if output_attentions is None else output_attentions:
            return False
        if self.config.output_hidden_states if output_hidden_states is None else output_hidden_states:
            return False
        if (self.config._attn_implementation or "sdpa") not in ("sdpa", "eager"):
            return False
        return bool(labels.ne(IGNORE_INDEX).any())

    def _labelled_positions(
        self,
        labels: torch.Tensor | None,
        input_ids: torch.Tensor | None,
        inputs_embeds: torch.Tensor | None,
        output_attentions: bool | None,
        output_hidden_states: bool | None,
    ) -> torch.Tensor | None:
        """(b, t) bool, the labelled positions, when only they need the last layer and the head
        (`_predicts_sparsely`); None when every position does."""
        if not self._predicts_sparsely(labels, output_attentions, output_hidden_states):
            return None
        assert labels is not None
        check_label_shape(labels, (input_ids if input_ids is not None else inputs_embeds).shape[:2])  # type: ignore[union-attr]
        return labels.ne(IGNORE_INDEX)

    def set_output_embeddings(self, value: nn.Linear) -> None:
        self.lm_head.decoder = value

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        num_items_in_batch: torch.Tensor | int | None = None,
        **kwargs: Any,
    ) -> MaskedLMOutput | tuple[Any, ...]:
        """labels (b, t): original ids at masked positions, -100 elsewhere. Logits (b, t, V), or (n, V) in training.

        Training with labels and nothing else asked for: only the masked positions go through the
        last layer and the head (`BertModel(only_at=...)`); the loss is the full computation's.
        """
        selected = self._labelled_positions(
            labels, input_ids, inputs_embeds, output_attentions, output_hidden_states
        )
        out = self.encoder_model(
            input_ids=input_ids,
            attention_mask=attention_mask,
            token_type_ids=token_type_ids,
            position_ids=position_ids,
            inputs_embeds=inputs_embeds,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            only_at=selected,
            return_dict=True,
        )  # last_hidden_state (b, t, H), or (n, H) at the selected positions
        if selected is not None and labels is not None:
            logits, selected_labels = self.lm_head.predict(out.last_hidden_state), labels[selected]  # (n, V)
        else:
            logits, selected_labels = self.lm_head(out.last_hidden_state, labels)
        loss = cross_entropy(logits, selected_labels, num_items_in_batch) if labels is not None else None
        output = MaskedLMOutput(
            loss=loss, logits=logits, hidden_states=out.hidden_states, attentions=out.attentions
        )
        return _with_tuple(output, return_dict, self.config)


class BertForPreTraining(BertForMaskedLM):
    """MLM + next-sentence prediction on the pooled [CLS] state; the two losses summed (BERT §3.1)."""

    def __init__(self, config: BertConfig) -> None:
        BertPreTrainedModel.__init__(self, config)
        self._attach_encoder(config, add_pooling_layer=True)
        self.lm_head = self._make_lm_head(config)
        self.seq_relationship = nn.Linear(config.hidden_size, 2)
        self.post_init()

    def forward(  # type: ignore[override]
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        next_sentence_label: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        num_items_in_batch: torch.Tensor | int | None = None,
        **kwargs: Any,
    ) -> BertForPreTrainingOutput | tuple[Any, ...]:
        """labels (b, t) for MLM; next_sentence_label (b,): 0 = B follows A, 1 = B is random.

        In training the last layer runs only at the masked positions and [CLS] (see BertForMaskedLM).
        """
        pair_label = next_sentence_label
        selected = self._labelled_positions(
            labels, input_ids, inputs_embeds, output_attentions, output_hidden_states
        )
        wanted = None
        if selected is not None:
            first = torch.zeros_like(selected)
            first[:, 0] = True  # [CLS], which the pooler reads
            wanted = selected | first  # (b, t)
        out = self.encoder_model(
            input_ids=input_ids,
            attention_mask=attention_mask,
            token_type_ids=token_type_ids,
            position_ids=position_ids,
            inputs_embeds=inputs_embeds,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            only_at=wanted,
            return_dict=True,
        )  # last_hidden_state (b, t, H), or (m, H) at the wanted positions, row-major
        if selected is not None and wanted is not None:
            hidden, pooler = out.last_hidden_state, self.encoder_model.pooler
            assert hidden is not None and pooler is not None and labels is not None
            logits = self.lm_head.predict(hidden[selected[wanted]])  # (n, V)
            selected_labels = labels[selected]  # (n,)
            pooled = pooler(hidden[first[wanted]].unsqueeze(1))  # (b, H)
        else:
            logits, selected_labels = self.lm_head(out.last_hidden_state, labels)
            pooled = out.pooler_output
        pair_logits = self.seq_relationship(pooled)  # (b, 2)
        mlm_loss = cross_entropy(logits, selected_labels, num_items_in_batch) if labels is not None else None
        pair_loss = cross_entropy(pair_logits, pair_label) if pair_label is not None else None
        if pair_loss is not None and labels is not None and num_items_in_batch is not None:
            # Trainer no longer divides by the accumulation steps once it passes num_items_in_batch;
            # weight this micro-batch's sequence-level mean by its share of the accumulated MLM targets,
            # which is exact whenever every sequence has the same number of masked tokens.
            pair_loss = pair_loss * labels.ne(-100).sum() / num_items_in_batch
        losses = [x for x in (mlm_loss, pair_loss) if x is not None]
        output = BertForPreTrainingOutput(
            loss=sum(losses) if losses else None,  # type: ignore[arg-type]
            prediction_logits=logits,
            seq_relationship_logits=pair_logits,
            mlm_loss=mlm_loss,
            pair_loss=pair_loss,
            hidden_states=out.hidden_states,
            attentions=out.attentions,
        )
        return _with_tuple(output, return_dict, self.config)


class _PooledHeadModel(BertPreTrainedModel):
    """Encoder with a pooler, for heads reading the pooled [CLS] state."""

    def __init__(self, config: BertConfig, add_pooling_layer: bool = True) -> None:
        super().__init__(config)
        self._attach_encoder(config, add_pooling_layer=add_pooling_layer)
        dropout = (
            config.classifier_dropout if config.classifier_dropout is not None else config.hidden_dropout_prob
        )
        self.dropout = nn.Dropout(dropout)


class BertForNextSentencePrediction(_PooledHeadModel):
    """Is segment B the continuation of segment A? labels (b,): 0 = yes, 1 = random B."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__(config)
        self.seq_relationship = nn.Linear(config.hidden_size, 2)
        self.post_init()

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        num_items_in_batch: torch.Tensor | int | None = None,
        **kwargs: Any,
    ) -> NextSentencePredictorOutput | tuple[Any, ...]:
        labels = kwargs.pop("next_sentence_label", labels)
        out = self.encoder_model(
            input_ids=input_ids,
            attention_mask=attention_mask,
            token_type_ids=token_type_ids,
            position_ids=position_ids,
            inputs_embeds=inputs_embeds,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            return_dict=True,
        )
        logits = self.seq_relationship(out.pooler_output)  # (b, 2)
        loss = cross_entropy(logits, labels, num_items_in_batch) if labels is not None else None
        output = NextSentencePredictorOutput(
            loss=loss, logits=logits, hidden_states=out.hidden_states, attentions=out.attentions
        )
        return _with_tuple(output, return_dict, self.config)


class BertForSequenceClassification(_PooledHeadModel):
    """Single sentences and sentence pairs (NLI, paraphrase): a linear layer on the pooled [CLS] state."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__(config)
        self.classifier: nn.Module = nn.Linear(config.hidden_size, num_classes(config))
        self.post_init()

    def _logits(self, out: BaseModelOutputWithPoolingAndCrossAttentions) -> torch.Tensor:
        return self.classifier(self.dropout(out.pooler_output))  # (b, c)

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        num_items_in_batch: torch.Tensor | int | None = None,
        **kwargs: Any,
    ) -> SequenceClassifierOutput | tuple[Any, ...]:
        """labels (b,) class ids, (b,) floats for regression (num_labels 1), or (b, c) multi-label."""
        out = self.encoder_model(
            input_ids=input_ids,
            attention_mask=attention_mask,
            token_type_ids=token_type_ids,
            position_ids=position_ids,
            inputs_embeds=inputs_embeds,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            return_dict=True,
        )
        logits = self._logits(out)
        loss = None
        if labels is not None:
            loss, self.config.problem_type = sequence_classification_loss(
                logits, labels, self.config.problem_type, num_items_in_batch
            )
        output = SequenceClassifierOutput(
            loss=loss, logits=logits, hidden_states=out.hidden_states, attentions=out.attentions
        )
        return _with_tuple(output, return_dict, self.config)


class BertForMultipleChoice(_PooledHeadModel):
    """Each (context, choice) row scored by a linear map of its pooled state; softmax over choices."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__(config)
        self.classifier = nn.Linear(config.hidden_size, 1)
        self.post_init()

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        num_items_in_batch: torch.Tensor | int | None = None,
        **kwargs: Any,
    ) -> MultipleChoiceModelOutput | tuple[Any, ...]:
        """input_ids (b, c, t); labels (b,) the index of the right choice."""
        reference = input_ids if input_ids is not None else inputs_embeds
        if reference is None or reference.dim() < 3:
            raise ValueError("multiple choice expects input_ids of shape (batch, num_choices, length)")
        num_choices = reference.shape[1]

        def flat(x: torch.Tensor | None) -> torch.Tensor | None:
            return None if x is None else x.reshape(-1, *x.shape[2:])  # (b·c, t, ...)

        out = self.encoder_model(  # every choice becomes one encoder row
            input_ids=flat(input_ids),
            attention_mask=flat(attention_mask),
            token_type_ids=flat(token_type_ids),
            position_ids=flat(position_ids),
            inputs_embeds=flat(inputs_embeds),
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            return_dict=True,
        )
        logits = self.classifier(self.dropout(out.pooler_output)).view(-1, num_choices)  # (b, c)
        loss = cross_entropy(logits, labels, num_items_in_batch) if labels is not None else None
        output = MultipleChoiceModelOutput(
            loss=loss, logits=logits, hidden_states=out.hidden_states, attentions=out.attentions
        )
        return _with_tuple(output, return_dict, self.config)


class BertForTokenClassification(_PooledHeadModel):
    """A label per token (POS tagging, NER, slot filling): a linear layer on every hidden state."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__(config, add_pooling_layer=False)
        self.classifier = nn.Linear(config.hidden_size, num_classes(config))
        self.post_init()

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        num_items_in_batch: torch.Tensor | int | None = None,
        **kwargs: Any,
    ) -> TokenClassifierOutput | tuple[Any, ...]:
        """labels (b, t): a class per token, -100 for pieces and specials that carry no label."""
        out = self.encoder_model(
            input_ids=input_ids,
            attention_mask=attention_mask,
            token_type_ids=token_type_ids,
            position_ids=position_ids,
            inputs_embeds=inputs_embeds,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            return_dict=True,
        )
        logits = self.classifier(self.dropout(out.last_hidden_state))  # (b, t, c)
        loss = cross_entropy(logits, labels, num_items_in_batch) if labels is not None else None
        output = TokenClassifierOutput(
            loss=loss, logits=logits, hidden_states=out.hidden_states, attentions=out.attentions
        )
        return _with_tuple(output, return_dict, self.config)


class BertForQuestionAnswering(BertPreTrainedModel):
    """Extractive QA (BERT §4.2): start score S·T_i and end score E·T_i for every token i."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__(config)
        self._attach_encoder(config, add_pooling_layer=False)
        self.span_head = SpanQAHead(config.hidden_size)
        self.post_init()

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        start_positions: torch.Tensor | None = None,
        end_positions: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        **kwargs: Any,
    ) -> QuestionAnsweringModelOutput | tuple[Any, ...]:
        """start/end_positions (b,): token indices of the answer span."""
        out = self.encoder_model(
            input_ids=input_ids,
            attention_mask=attention_mask,
            token_type_ids=token_type_ids,
            position_ids=position_ids,
            inputs_embeds=inputs_embeds,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            return_dict=True,
        )
        start_logits, end_logits = self.span_head(out.last_hidden_state)  # (b, t) each
        loss = None
        if start_positions is not None and end_positions is not None:
            loss = span_loss(start_logits, end_logits, start_positions, end_positions)
        output = QuestionAnsweringModelOutput(
            loss=loss,
            start_logits=start_logits,
            end_logits=end_logits,
            hidden_states=out.hidden_states,
            attentions=out.attentions,
        )
        return _with_tuple(output, return_dict, self.config)


RECORDED_MODULES = (TransformerLayer, MultiHeadAttention)
