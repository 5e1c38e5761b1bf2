"""GPT: a decoder-only Transformer language model, GPT-1 (post-LN) or GPT-2 (pre-LN) by config.

Radford et al. 2018 ("Improving Language Understanding by Generative Pre-Training", §3.1) and 2019
("Language Models are Unsupervised Multitask Learners", §2.3); reference code
openai/finetune-transformer-lm train.py and openai/gpt-2 model.py. Built from the shared
TokenEmbeddings (no segments, no embedding LayerNorm) and a causal TransformerStack.

Position ids follow the attention mask (cumsum - 1), so a left-padded row gets the same positions,
and therefore the same outputs, as the row alone: batched generation with left padding is exact.
transformers' GPT-2 and OpenAI GPT count positions from 0 at the first column instead; with right
padding or no padding (the parity tests) both agree.

Shapes: b batch, t new tokens, s cached + new tokens, H hidden, V vocabulary.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import nn
from transformers import GenerationMixin
from transformers import initialization as init
from transformers.cache_utils import Cache, DynamicCache
from transformers.modeling_outputs import BaseModelOutputWithPast, CausalLMOutputWithPast
from transformers.utils import ModelOutput

from ...compat import accepts_cache, cache_field, output_cache
from ...constants import IGNORE_INDEX
from ...heads import (
    check_label_shape,
    cross_entropy,
    last_token_states,
    num_classes,
    sequence_classification_loss,
)
from ...layers import TokenEmbeddings, TransformerLayer, TransformerStack, causal_mask
from ...layers.embeddings import as_embedding
from ...layers.feed_forward import FeedForward
from ...layers.masks import sequence_ids_from_position_ids
from ..base import HfSslPreTrainedModel
from ..validation import (
    check_attention_mask,
    check_length,
    check_like,
    check_position_ids,
    check_sequence,
    check_unused_inputs,
    value_checks_enabled,
)
from .configuration_gpt import GPTConfig


class GPTPreTrainedModel(HfSslPreTrainedModel):
    config: GPTConfig
    config_class = GPTConfig
    base_model_prefix = "transformer"
    supports_gradient_checkpointing = True
    _supports_sdpa = True
    _supports_flex_attn = True
    _supports_attention_backend = True
    _no_split_modules: list[str] = ["TransformerLayer"]

    init_modules_without_parameters: ClassVar[bool] = True

    @torch.no_grad()
    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        if isinstance(module, TransformerLayer) and self.config.norm_position == "pre":
            # GPT-2 §2.3: residual projections scaled by 1/sqrt(N), N = 2 residual sums per layer.
            std = self.config.initializer_range / math.sqrt(2 * self.config.num_hidden_layers)
            init.normal_(module.self_attn.o_proj.weight, mean=0.0, std=std)
            if isinstance(module.ffn, FeedForward):
                init.normal_(module.ffn.down_proj.weight, mean=0.0, std=std)


class GPTModel(GPTPreTrainedModel):
    """The decoder: token + position embeddings -> causal Transformer stack (-> final LN for GPT-2)."""

    def __init__(self, config: GPTConfig) -> None:
        super().__init__(config)
        self.embeddings = TokenEmbeddings(
            config.vocab_size,
            config.hidden_size,
            config.max_position_embeddings,
            type_vocab_size=0,
            padding_idx=None,
            layer_norm_eps=None,
            dropout=config.embedding_dropout_prob,
        )
        pre_norm = config.norm_position == "pre"
        self.decoder = TransformerStack(
            config.num_hidden_layers,
            final_norm=pre_norm,
            hidden_size=config.hidden_size,
            num_heads=config.num_attention_heads,
            intermediate_size=config.intermediate_size,
            activation=config.hidden_act,
            norm_position=config.norm_position,
            norm_eps=config.layer_norm_eps,
            dropout=config.hidden_dropout_prob,
            attention_dropout=config.attention_probs_dropout_prob,
            is_causal=True,
        )
        self.post_init()

    def get_input_embeddings(self) -> nn.Embedding:
        return self.embeddings.word_embeddings

    def set_input_embeddings(self, value: nn.Module) -> None:
        self.embeddings.word_embeddings = as_embedding(value)

    @accepts_cache
    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        past_key_values: Cache | None = None,
        use_cache: bool | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        prefix_lengths: torch.Tensor | None = None,
        **kwargs: Any,
    ) -> BaseModelOutputWithPast | tuple[Any, ...]:
        """input_ids (b, t) -> last_hidden_state (b, t, H); attention_mask (b, s) covers cached tokens too.

        Packed rows: position_ids that restart inside a row give a causal, block-diagonal mask.
        prefix_lengths (b,): the first prefix_lengths[i] columns of row i attend to each other both
        ways (prefix LM, Raffel et al. 2020 §3.2.1); None is a plain causal decoder.
        """
        check_unused_inputs(type(self).__name__, kwargs, positions=True)
        shape = check_sequence(
            "input_ids", input_ids, inputs_embeds, self.config.vocab_size, width=self.config.hidden_size
        )
        check_like(shape, position_ids=position_ids)
        use_cache = (self.config.use_cache and not self.training) if use_cache is None else use_cache
        if use_cache and past_key_values is None:
            past_key_values = DynamicCache(config=self.config)
        past_length = past_key_values.get_seq_length() if past_key_values is not None else 0
        total = past_length + shape[1]
        check_length(shape[1], self.config.max_position_embeddings, cached=past_length)
        check_position_ids(position_ids, self.config.max_position_embeddings)
        check_attention_mask(attention_mask, (shape[0], total), note=" (cached plus new tokens)")
        output_attentions = self.config.output_attentions if output_attentions is None else output_attentions
        output_hidden_states = (
            self.config.output_hidden_states if output_hidden_states is None else output_hidden_states
        )
        return_dict = self.config.return_dict if return_dict is None else return_dict

        sequence_ids = None
        if position_ids is not None:
            sequence_ids = sequence_ids_from_position_ids(position_ids)  # (b, t)
            # One document per row (or a cached step): no document mask. Tracing keeps it instead
            # of reading the ids on the host.
            if past_length or (value_checks_enabled() and not bool(sequence_ids[:, -1].any())):
                sequence_ids = None
        elif attention_mask is not None:
            position_ids = (attention_mask.long().cumsum(-1) - 1).clamp(min=0)[:, -shape[1] :]  # (b, t)
        embeddings = self.embeddings(
            input_ids, position_ids=position_ids, inputs_embeds=inputs_embeds, past_length=past_length
        )  # (b, t, H)
        mask_implementation = self.config._attn_implementation or "sdpa"
        attn_implementation = "eager" if output_attentions else mask_implementation
        mask = causal_mask(
            self.config,
            embeddings,
            attention_mask,
            past_key_values=past_key_values,
            sequence_ids=sequence_ids,
            prefix_lengths=prefix_lengths,
        )
        hidden, all_hidden, attentions, _ = self.decoder(
            embeddings,
            mask,
            attn_implementation=attn_implementation,
            past_key_values=past_key_values,
            output_hidden_states=output_hidden_states,
            output_attentions=output_attentions,
        )
        output = BaseModelOutputWithPast(
            last_hidden_state=hidden,
            **cache_field(past_key_values if use_cache else None),
            hidden_states=all_hidden,
            attentions=attentions,
        )
        return output if return_dict else output.to_tuple()


def causal_lm_loss(
    logits: torch.Tensor,
    labels: torch.Tensor | None,
    num_items_in_batch: Any = None,
    shift_labels: torch.Tensor | None = None,
) -> torch.Tensor:
    """Next-token cross-entropy: position i predicts label i + 1 (labels are the inputs, -100 ignored).

    The labels are shifted, not the logits: slicing (b, t, V) logits would copy the largest tensor of
    a small model's step. `shift_labels` (b, t) are targets already aligned with the logits, as
    sequence- and context-parallel training hands them over (each shard's last token still has its
    target); given, they are used as they are and `labels` are ignored.
    """
    if shift_labels is None:
        if labels is None:
            raise ValueError("causal_lm_loss needs labels or shift_labels")
        check_label_shape(labels, logits.shape[:-1])
        shift_labels = nn.functional.pad(labels[:, 1:], (0, 1), value=IGNORE_INDEX)  # (b, t)
    check_label_shape(shift_labels, logits.shape[:-1])
    return cross_entropy(logits, shift_labels, num_items_in_batch)


class GPTLMHeadModel(GPTPreTrainedModel, GenerationMixin):
    """Decoder + tied LM head; `generate` works with a KV cache (greedy, sampling, beam search)."""

    _tied_weights_keys: dict[str, str] = {"lm_head.weight": "transformer.embeddings.word_embeddings.weight"}

    def __init__(self, config: GPTConfig) -> None:
        super().__init__(config)
        self.transformer = GPTModel(config)
        self.lm_head = nn.Linear(config.hidden_size, config.vocab_size, bias=False)
        # Trainer counts the targets of a shifting loss as labels[..., 1:]: say that this loss shifts.
        self.loss_type = "ForCausalLM"
        self.post_init()

    def get_output_embeddings(self) -> nn.Linear:
        return self.lm_head

    def set_output_embeddings(self, value: nn.Linear) -> None:
        self.lm_head = value

    @accepts_cache
    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        past_key_values: Cache | None = None,
        labels: torch.Tensor | None = None,
        use_cache: bool | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        num_items_in_batch: torch.Tensor | int | None = None,
        logits_to_keep: int = 0,
        prefix_lengths: torch.Tensor | None = None,
        **kwargs: Any,
    ) -> CausalLMOutputWithPast | tuple[Any, ...]:
        """labels (b, t): usually the input ids, -100 where no prediction is wanted (padding).

        `shift_labels` (b, t), a keyword as in transformers: targets already shifted (sequence or
        context parallelism), used instead of labels. Not a named parameter: Trainer takes every
        named parameter with "label" in it for a label its batches must carry.

        prefix_lengths (b,): a bidirectional prefix per row (see GPTModel; hf_ssl.PrefixLMForCausalLM).
        """
        shift_labels = kwargs.pop("shift_labels", None)
        check_unused_inputs(type(self).__name__, kwargs, positions=True)
        out = self.transformer(
            input_ids,
            prefix_lengths=prefix_lengths,
            attention_mask=attention_mask,
            position_ids=position_ids,
            inputs_embeds=inputs_embeds,
            past_key_values=past_key_values,
            use_cache=use_cache,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            return_dict=True,
        )
        hidden = out.last_hidden_state
        has_targets = labels is not None or shift_labels is not None
        if logits_to_keep and not has_targets:  # generation needs only the last position's logits
            hidden = hidden[:, -logits_to_keep:]
        logits = self.lm_head(hidden)  # (b, t, V)
        loss = causal_lm_loss(logits, labels, num_items_in_batch, shift_labels) if has_targets else None
        output = CausalLMOutputWithPast(
            loss=loss,
            logits=logits,
            **cache_field(output_cache(out)),
            hidden_states=out.hidden_states,
            attentions=out.attentions,
        )
        return (
            output if (self.config.return_dict if return_dict is None else return_dict) else output.to_tuple()
        )


def auxiliary_lm_loss(
    logits: torch.Tensor,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor | None,
    num_items_in_batch: Any,
    rows_per_item: int = 1,
) -> torch.Tensor:
    """GPT-1's auxiliary LM loss (train.py:174-178): each sequence's mean next-token loss over its real
    tokens, then the mean over sequences. Dividing the per-sequence sum by `num_items_in_batch` (the
    number of labelled sequences Trainer counted) keeps it exact under gradient accumulation.

    logits (n, t, V) and input_ids (n, t) for n sequences; `rows_per_item` rows (choices, or the two
    orders of a similarity pair) belong to one labelled item.
    """
    targets = input_ids[:, 1:]
    real = (
        torch.ones_like(targets, dtype=torch.bool) if attention_mask is None else attention_mask[:, 1:].bool()
    )
    per_token = nn.functional.cross_entropy(
        logits[:, :-1].transpose(1, 2).float(), targets, reduction="none"
    )  # (n, t - 1)
    per_sequence = (per_token * real).sum(-1) / real.sum(-1).clamp(min=1)  # (n,)
    if num_items_in_batch is None:
        return per_sequence.mean()
    return per_sequence.sum() / (num_items_in_batch * rows_per_item)


@dataclass
class GPTClassifierOutput(ModelOutput):
    """loss = classification_loss + lm_coef · lm_loss (GPT-1 §3.2, L3 = L2 + λ·L1)."""

    loss: torch.Tensor | None = None
    logits: torch.Tensor | None = None
    classification_loss: torch.Tensor | None = None
    lm_loss: torch.Tensor | None = None
    hidden_states: tuple[torch.Tensor, ...] | None = None
    attentions: tuple[torch.Tensor, ...] | None = None


class _GPTWithTaskHead(GPTPreTrainedModel):
    """Decoder + tied LM head (for the auxiliary loss) + a task head on the last real token."""

    _tied_weights_keys: dict[str, str] = {"lm_head.weight": "transformer.embeddings.word_embeddings.weight"}
    task_outputs: ClassVar[int | None] = None  # None: config.num_labels

    def __init__(self, config: GPTConfig) -> None:
        super().__init__(config)
        self.transformer = GPTModel(config)
        self.lm_head = nn.Linear(config.hidden_size, config.vocab_size, bias=False)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)  # clf_pdrop
        self.score = nn.Linear(config.hidden_size, self.task_outputs or num_classes(config))
        self.post_init()

    def get_output_embeddings(self) -> nn.Linear:
        return self.lm_head

    def _encode_rows(
        self,
        input_ids: torch.Tensor | None,
        inputs_embeds: torch.Tensor | None,
        attention_mask: torch.Tensor | None,
        labels: Any,
        num_items_in_batch: Any,
        rows_per_item: int,
        **kwargs: Any,
    ) -> tuple[torch.Tensor, torch.Tensor | None, BaseModelOutputWithPast]:
        """Run rows (n, t) of ids or (n, t, H) of embeddings; return their last-token states (n, H),
        the auxiliary LM loss (from ids only: embeddings carry no next-token targets) and the outputs."""
        out = self.transformer(
            input_ids,
            attention_mask=attention_mask,
            inputs_embeds=inputs_embeds,
            use_cache=False,
            return_dict=True,
            **kwargs,
        )
        lm_loss = None
        if labels is not None and self.config.lm_coef > 0 and input_ids is not None:
            lm_logits = self.lm_head(out.last_hidden_state)  # (n, t, V)
            lm_loss = auxiliary_lm_loss(
                lm_logits, input_ids, attention_mask, num_items_in_batch, rows_per_item
            )
        return last_token_states(out.last_hidden_state, attention_mask), lm_loss, out

    def _output(
        self,
        logits: torch.Tensor,
        classification_loss: torch.Tensor | None,
        lm_loss: torch.Tensor | None,
        out: BaseModelOutputWithPast,
        return_dict: bool | None,
    ) -> Any:
        loss = classification_loss
        if loss is not None and lm_loss is not None:
            loss = loss + self.config.lm_coef * lm_loss
        output = GPTClassifierOutput(
            loss=loss,
            logits=logits,
            classification_loss=classification_loss,
            lm_loss=lm_loss,
            hidden_states=out.hidden_states,
            attentions=out.attentions,
        )
        return (
            output if (self.config.return_dict if return_dict is None else return_dict) else output.to_tuple()
        )


def _rows(
    input_ids: torch.Tensor | None,
    inputs_embeds: torch.Tensor | None,
    rows_per_item: tuple[int, ...] | None,
    expected: str,
) -> tuple[torch.Tensor | None, torch.Tensor | None, int]:
    """Flatten a task head's items into rows: ids (b[, r], t) -> (b·r, t), embeddings (b[, r], t, H) ->
    (b·r, t, H); r is the rows per item (1 without the middle axis). `rows_per_item` lists the allowed
    r (None: any, and the middle axis is required)."""
    if (input_ids is None) == (inputs_embeds is None):
        raise ValueError("give exactly one of input_ids and inputs_embeds")
    given = input_ids if input_ids is not None else inputs_embeds
    assert given is not None
    token_dims = given.dim() - (0 if input_ids is not None else 1)  # without the embedding axis
    rows = given.shape[1] if token_dims == 3 else 1
    shape_ok = token_dims == 3 if rows_per_item is None else token_dims in (2, 3) and rows in rows_per_item
    if not shape_ok:
        name = "input_ids" if input_ids is not None else "inputs_embeds (with a last axis H)"
        raise ValueError(f"{name} has shape {tuple(given.shape)}; expected {expected}")
    if input_ids is not None:
        return input_ids.reshape(-1, input_ids.shape[-1]), None, rows
    assert inputs_embeds is not None
    return None, inputs_embeds.reshape(-1, *inputs_embeds.shape[-2:]), rows


class GPTForSequenceClassification(_GPTWithTaskHead):
    """Classification from the last real token's state (GPT-1 §3.3), with the auxiliary LM loss.

    input_ids (b, t) for a single text or a [start] premise [delim] hypothesis [extract] pair; or
    (b, 2, t) for the similarity transform: both orders are encoded and their final states summed
    before the linear layer (GPT-1 §3.3, "Similarity").
    """

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        num_items_in_batch: torch.Tensor | int | None = None,
        inputs_embeds: torch.Tensor | None = None,
        **kwargs: Any,
    ) -> GPTClassifierOutput | tuple[Any, ...]:
        """input_ids (b, t) or (b, 2, t); or inputs_embeds (b, t, H) or (b, 2, t, H), without the auxiliary LM loss."""
        check_unused_inputs(type(self).__name__, kwargs, positions=True)
        flat_ids, flat_embeds, views = _rows(
            input_ids, inputs_embeds, (1, 2), "(batch, length) or (batch, 2, length)"
        )
        flat_mask = None if attention_mask is None else attention_mask.reshape(-1, attention_mask.shape[-1])
        states, lm_loss, out = self._encode_rows(
            flat_ids,
            flat_embeds,
            flat_mask,
            labels,
            num_items_in_batch,
            views,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
        )
        states = states.view(-1, views, states.shape[-1]).sum(dim=1)  # (b, H): both orders summed
        logits = self.score(self.dropout(states))  # (b, c)
        classification_loss = None
        if labels is not None:
            classification_loss, self.config.problem_type = sequence_classification_loss(
                logits, labels, self.config.problem_type, num_items_in_batch
            )
        return self._output(logits, classification_loss, lm_loss, out, return_dict)


class GPTForMultipleChoice(_GPTWithTaskHead):
    """Each [start] context [delim] answer_k [extract] row scored by a linear map; softmax over choices.

    GPT-1 §3.3 and train.py:190-191 (clf(..., 1)); the auxiliary LM loss runs over every choice row.
    """

    task_outputs: ClassVar[int | None] = 1

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        num_items_in_batch: torch.Tensor | int | None = None,
        inputs_embeds: torch.Tensor | None = None,
        **kwargs: Any,
    ) -> GPTClassifierOutput | tuple[Any, ...]:
        """input_ids (b, c, t) or inputs_embeds (b, c, t, H); labels (b,) the index of the right choice."""
        check_unused_inputs(type(self).__name__, kwargs, positions=True)
        flat_ids, flat_embeds, num_choices = _rows(
            input_ids, inputs_embeds, None, "(batch, num_choices, length)"
        )
        flat_mask = None if attention_mask is None else attention_mask.reshape(-1, attention_mask.shape[-1])
        states, lm_loss, out = self._encode_rows(
            flat_ids,
            flat_embeds,
            flat_mask,
            labels,
            num_items_in_batch,
            num_choices,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
        )
        logits = self.score(self.dropout(states)).view(-1, num_choices)  # (b, c)
        classification_loss = (
            cross_entropy(logits, labels, num_items_in_batch) if labels is not None else None
        )
        return self._output(logits, classification_loss, lm_loss, out, return_dict)


__all__ = [
    "IGNORE_INDEX",
    "GPTClassifierOutput",
    "GPTForMultipleChoice",
    "GPTForSequenceClassification",
    "GPTLMHeadModel",
    "GPTModel",
    "GPTPreTrainedModel",
    "causal_lm_loss",
]
