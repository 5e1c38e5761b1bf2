"""BART: a denoising sequence-to-sequence Transformer (Lewis et al. 2020), and the shared
encoder-decoder code that MASS builds on.

Architecture (§2.1; fairseq models/bart/model.py:326-366): a bidirectional encoder and an
autoregressive decoder, both post-LN with GELU, a LayerNorm on the embeddings, learned positions and
one embedding table shared by encoder, decoder and LM head. Pretraining corrupts the input with the
noising functions of `hf_ssl.objectives.DenoisingCollator` and trains the decoder to restore it.
Fine-tuning (§3): classification reads the decoder's state at the final </s> (§3.1), extractive QA
reads start/end scores off every decoder state (§3.2), generation decodes autoregressively.

Differences from transformers' BART, on purpose: the position table has no two unused offset rows;
the classifier takes each row's last </s> instead of requiring every row to hold the same number of
them; the decoder accepts `decoder_position_ids` (MASS feeds the span's original positions).

Shapes: b batch, t decoder length, s encoder length, D model width, V vocabulary, c classes.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn
from transformers import GenerationMixin
from transformers.cache_utils import Cache
from transformers.modeling_outputs import (
    BaseModelOutput,
    BaseModelOutputWithPastAndCrossAttentions,
    Seq2SeqQuestionAnsweringModelOutput,
    Seq2SeqSequenceClassifierOutput,
)

from ...compat import CACHE_NAMES, cache_field
from ...heads import (
    FirstTokenClassifier,
    SpanQAHead,
    last_token_states,
    num_classes,
    sequence_classification_loss,
    span_loss,
)
from ...layers import TokenEmbeddings, TransformerStack
from ...layers.embeddings import ScaledEmbedding, as_embedding, resized
from ..base import HfSslPreTrainedModel
from ..encoder_decoder import (
    EncoderDecoderCore,
    Seq2SeqLMHead,
    decoder_masks,
    encoder_mask,
    seq2seq_fields,
    shift_right,
)
from ..validation import (
    check_attention_mask,
    check_length,
    check_like,
    check_position_ids,
    check_sequence,
    check_unused_inputs,
)
from .configuration_bart import BartConfig

# transformers' name for teacher forcing (models/bart/modeling_bart.py).
shift_tokens_right = shift_right


class BartPreTrainedModel(HfSslPreTrainedModel):
    config: BartConfig
    config_class = BartConfig
    base_model_prefix = "model"
    supports_gradient_checkpointing = True
    _supports_sdpa = True
    _supports_flex_attn = True
    _supports_attention_backend = True
    _no_split_modules: list[str] = ["TransformerLayer"]
    _skip_keys_device_placement: list[str] = list(CACHE_NAMES)

    @torch.no_grad()
    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        if isinstance(module, BartForConditionalGeneration):
            module.final_logits_bias.zero_()


def _embeddings(config: BartConfig) -> TokenEmbeddings:
    return TokenEmbeddings(
        config.vocab_size,
        config.d_model,
        config.max_position_embeddings,
        type_vocab_size=0,
        padding_idx=config.pad_token_id,
        layer_norm_eps=config.layer_norm_eps,
        dropout=config.dropout,
        word_scale=word_scale(config),
    )


def word_scale(config: BartConfig) -> float:
    """sqrt(d_model) with `scale_embedding` (mBART, MASS), else 1."""
    return math.sqrt(config.d_model) if config.scale_embedding else 1.0


def _stack(config: BartConfig, side: str) -> TransformerStack:
    decoder = side == "decoder"
    return TransformerStack(
        getattr(config, f"{side}_layers"),
        hidden_size=config.d_model,
        num_heads=getattr(config, f"{side}_attention_heads"),
        intermediate_size=getattr(config, f"{side}_ffn_dim"),
        activation=config.activation_function,
        norm_position="post",
        norm_eps=config.layer_norm_eps,
        dropout=config.dropout,
        attention_dropout=config.attention_dropout,
        ffn_dropout=config.activation_dropout,
        is_causal=decoder,
        cross_attention=decoder,
    )


class BartEncoder(nn.Module):
    """Embeddings -> bidirectional post-LN stack: input_ids (b, s) -> last_hidden_state (b, s, D)."""

    def __init__(self, config: BartConfig) -> None:
        super().__init__()
        self.config = config
        self.embeddings = _embeddings(config)
        self.encoder = _stack(config, "encoder")

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        output_attentions: bool = False,
        output_hidden_states: bool = False,
        return_dict: bool = True,
        position_ids: torch.Tensor | None = None,
        **kwargs: Any,
    ) -> BaseModelOutput:
        """position_ids (b, s) that restart inside a row mark packed documents: no attention across them."""
        check_unused_inputs(type(self).__name__, kwargs, positions=True)
        config = self.config
        shape = check_sequence("input_ids", input_ids, inputs_embeds, config.vocab_size, width=config.d_model)
        check_length(shape[1], config.max_position_embeddings)
        check_like(shape, position_ids=position_ids)
        check_position_ids(position_ids, config.max_position_embeddings)
        check_attention_mask(attention_mask, shape)
        hidden = self.embeddings(
            input_ids, position_ids=position_ids, inputs_embeds=inputs_embeds
        )  # (b, s, D)
        mask = encoder_mask(self.config, hidden, attention_mask, position_ids)
        hidden, all_hidden, attentions, _ = self.encoder(
            hidden,
            mask,
            attn_implementation=_kernel(self.config, output_attentions),
            output_hidden_states=output_hidden_states,
            output_attentions=output_attentions,
        )
        return BaseModelOutput(last_hidden_state=hidden, hidden_states=all_hidden, attentions=attentions)


class BartDecoder(nn.Module):
    """Embeddings -> causal post-LN stack with cross-attention onto the encoder's states."""

    def __init__(self, config: BartConfig) -> None:
        super().__init__()
        self.config = config
        self.embeddings = _embeddings(config)
        self.decoder = _stack(config, "decoder")

    def forward(
        self,
        input_ids: torch.Tensor | None,
        attention_mask: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        *,
        encoder_hidden_states: torch.Tensor | None = None,
        encoder_attention_mask: torch.Tensor | None = None,
        past_key_values: Cache | None = None,
        output_attentions: bool = False,
        output_hidden_states: bool = False,
        position_ids: torch.Tensor | None = None,
        encoder_position_ids: torch.Tensor | None = None,
    ) -> BaseModelOutputWithPastAndCrossAttentions:
        """input_ids (b, t) -> last_hidden_state (b, t, D). attention_mask (b, cached + t).

        Without `encoder_hidden_states` the layers skip cross-attention: the decoder alone is a causal
        LM, as transformers' BartDecoder is.

        Packed rows: with `encoder_position_ids` (b, s) given, both sides' position ids number their
        documents, and decoder document k attends only to itself and to encoder document k.
        """
        config = self.config
        batch, length = check_sequence(
            "decoder_input_ids", input_ids, inputs_embeds, config.vocab_size, width=config.d_model
        )
        past_length = past_key_values.get_seq_length() if past_key_values is not None else 0
        if position_ids is None:
            check_length(length, config.max_position_embeddings, cached=past_length)
        check_like((batch, length), decoder_position_ids=position_ids)
        check_position_ids(position_ids, config.max_position_embeddings, "decoder_position_ids")
        check_attention_mask(
            attention_mask,
            (batch, past_length + length),
            "decoder_attention_mask",
            note=" (cached plus new tokens)",
        )
        hidden = self.embeddings(
            input_ids, position_ids=position_ids, inputs_embeds=inputs_embeds, past_length=past_length
        )  # (b, t, D)
        self_mask, cross_mask = decoder_masks(
            config,
            hidden,
            attention_mask,
            past_key_values,
            encoder_hidden_states,
            encoder_attention_mask,
            position_ids,
            encoder_position_ids,
        )
        hidden, all_hidden, attentions, cross_attentions = self.decoder(
            hidden,
            self_mask,
            encoder_hidden_states,
            cross_mask,
            attn_implementation=_kernel(self.config, output_attentions),
            past_key_values=past_key_values,
            output_hidden_states=output_hidden_states,
            output_attentions=output_attentions,
        )
        return BaseModelOutputWithPastAndCrossAttentions(
            last_hidden_state=hidden,
            **cache_field(past_key_values),
            hidden_states=all_hidden,
            attentions=attentions,
            cross_attentions=cross_attentions,
        )


def _kernel(config: BartConfig, output_attentions: bool) -> str:
    """Attention weights exist only in the eager kernel."""
    return "eager" if output_attentions else (config._attn_implementation or "sdpa")


class BartModel(EncoderDecoderCore, BartPreTrainedModel):
    """The bare encoder-decoder: returns the decoder's last hidden state (and the encoder's).

    Without decoder inputs, the decoder reads the input ids shifted right, as in pretraining (the
    sequence-classification and QA heads rely on this: encoder and decoder both see the input).
    """

    _tied_weights_keys: dict[str, str] = {
        "encoder.embeddings.word_embeddings.weight": "shared.weight",
        "decoder.embeddings.word_embeddings.weight": "shared.weight",
    }

    def __init__(self, config: BartConfig) -> None:
        super().__init__(config)
        self.shared: nn.Embedding = ScaledEmbedding(
            config.vocab_size, config.d_model, config.pad_token_id, word_scale(config)
        )
        self.encoder = BartEncoder(config)
        self.decoder = BartDecoder(config)
        self.post_init()

    def get_input_embeddings(self) -> nn.Embedding:
        return self.shared

    def set_input_embeddings(self, value: nn.Module) -> None:
        self.shared = as_embedding(value)
        self.encoder.embeddings.word_embeddings = self.shared
        self.decoder.embeddings.word_embeddings = self.shared

    def get_encoder(self, modality: str | None = None) -> BartEncoder:
        return self.encoder

    def get_decoder(self) -> BartDecoder:
        return self.decoder


# What the task heads pass on to the encoder-decoder (their own arguments aside).
_MODEL_ARGS = (
    "decoder_input_ids",
    "decoder_attention_mask",
    "decoder_position_ids",
    "encoder_outputs",
    "past_key_values",
    "inputs_embeds",
    "decoder_inputs_embeds",
    "use_cache",
    "output_attentions",
    "output_hidden_states",
    "cross_attention_mask",
    "position_ids",
)


class BartForConditionalGeneration(Seq2SeqLMHead, BartPreTrainedModel, GenerationMixin):
    """Encoder-decoder + tied LM head (+ a fixed logits bias, as fairseq's checkpoints carry).

    Pretraining: input_ids = the corrupted text, labels = the original (DenoisingCollator); the
    decoder reads the labels shifted right. In training with labels, logits are computed only at the
    n labelled positions and come back as (n, V); in eval mode they are (b, t, V). `generate` supports
    greedy, sampling and beam search with a KV cache.
    """

    _tied_weights_keys: dict[str, str] = {"lm_head.weight": "model.shared.weight"}
    _keys_to_ignore_on_load_missing: list[str] = ["final_logits_bias"]
    final_logits_bias: torch.Tensor  # (1, V) buffer, zeros (transformers keeps it for fairseq checkpoints)
    no_cache_with_labels = True

    def __init__(self, config: BartConfig) -> None:
        super().__init__(config)
        self.model = BartModel(config)
        self.register_buffer("final_logits_bias", torch.zeros(1, config.vocab_size))
        self.lm_head = nn.Linear(config.d_model, config.vocab_size, bias=False)
        self.post_init()

    @property
    def seq2seq_core(self) -> BartModel:
        return self.model

    def get_encoder(self, modality: str | None = None) -> BartEncoder:
        return self.model.encoder

    def get_decoder(self) -> BartDecoder:
        return self.model.decoder

    def get_output_embeddings(self) -> nn.Linear:
        return self.lm_head

    def set_output_embeddings(self, value: nn.Linear) -> None:
        self.lm_head = value

    def lm_logits(self, hidden: torch.Tensor) -> torch.Tensor:
        return self.lm_head(hidden) + self.final_logits_bias[0]  # (..., V)

    def resize_token_embeddings(
        self,
        new_num_tokens: int | None = None,
        pad_to_multiple_of: int | None = None,
        mean_resizing: bool = True,
    ) -> nn.Embedding:
        """transformers' resize, with the logits bias resized alongside (new ids get a zero bias)."""
        embeddings = super().resize_token_embeddings(new_num_tokens, pad_to_multiple_of, mean_resizing)
        self.register_buffer(
            "final_logits_bias", resized(self.final_logits_bias, embeddings.num_embeddings, dim=1)
        )  # (1, V)
        return embeddings


def last_eos_states(
    hidden: torch.Tensor, input_ids: torch.Tensor | None, eos_token_id: int | None
) -> torch.Tensor:
    """Each row's state at its last </s> (BART §3.1): (b, t, D) -> (b, D)."""
    if input_ids is None or eos_token_id is None:
        raise ValueError("sequence classification reads the state at </s>: give input_ids and eos_token_id")
    is_eos = input_ids.eq(eos_token_id)  # (b, t)
    missing = (~is_eos.any(dim=-1)).nonzero().flatten().tolist()
    if missing:
        raise ValueError(
            f"rows {missing} of input_ids hold no eos_token_id={eos_token_id}; every row needs one"
        )
    positions = torch.arange(input_ids.shape[1], device=input_ids.device)
    last = (is_eos * positions).argmax(dim=-1)  # (b,)
    return hidden[torch.arange(hidden.shape[0], device=hidden.device), last]


class BartForSequenceClassification(BartPreTrainedModel):
    """Encoder and decoder both read the input; the decoder's final </s> state is classified."""

    def __init__(self, config: BartConfig) -> None:
        super().__init__(config)
        self.model = BartModel(config)
        self.classification_head = FirstTokenClassifier(
            config.d_model, num_classes(config), config.classifier_dropout, activation="tanh"
        )
        self.post_init()

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        return_dict: bool | None = None,
        num_items_in_batch: torch.Tensor | int | None = None,
        inputs_embeds: torch.Tensor | None = None,
        **kwargs: Any,
    ) -> Seq2SeqSequenceClassifierOutput | tuple[Any, ...]:
        """input_ids (b, t) -> logits (b, c). Model arguments as BartModel's.

        With inputs_embeds (b, t, D) there are no ids to find </s> in: the state is read at each
        row's last real token (attention_mask), where BART's tokenizer puts </s>.
        """
        check_unused_inputs(type(self).__name__, kwargs, positions=True)
        model_args = {k: v for k, v in kwargs.items() if k in _MODEL_ARGS}
        encoded, decoded = self.model.encode_decode(
            input_ids=input_ids, attention_mask=attention_mask, inputs_embeds=inputs_embeds, **model_args
        )
        if input_ids is None and inputs_embeds is not None:
            sentence = last_token_states(decoded.last_hidden_state, attention_mask)  # (b, D)
        else:
            sentence = last_eos_states(
                decoded.last_hidden_state, input_ids, self.config.eos_token_id
            )  # (b, D)
        logits = self.classification_head(sentence[:, None])  # (b, c)
        loss = None
        if labels is not None:
            loss, self.config.problem_type = sequence_classification_loss(
                logits, labels, self.config.problem_type, num_items_in_batch
            )
        output = Seq2SeqSequenceClassifierOutput(loss=loss, logits=logits, **seq2seq_fields(encoded, decoded))
        return (
            output if (self.config.return_dict if return_dict is None else return_dict) else output.to_tuple()
        )


class BartForQuestionAnswering(BartPreTrainedModel):
    """Extractive QA on the decoder's states (BART §3.2): start and end scores per token."""

    def __init__(self, config: BartConfig) -> None:
        super().__init__(config)
        self.model = BartModel(config)
        self.qa_head = SpanQAHead(config.d_model)
        self.post_init()

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        start_positions: torch.Tensor | None = None,
        end_positions: torch.Tensor | None = None,
        return_dict: bool | None = None,
        inputs_embeds: torch.Tensor | None = None,
        **kwargs: Any,
    ) -> Seq2SeqQuestionAnsweringModelOutput | tuple[Any, ...]:
        """input_ids (b, t) or inputs_embeds (b, t, D) -> start_logits, end_logits (b, t)."""
        check_unused_inputs(type(self).__name__, kwargs, positions=True)
        model_args = {k: v for k, v in kwargs.items() if k in _MODEL_ARGS}
        encoded, decoded = self.model.encode_decode(
            input_ids=input_ids, attention_mask=attention_mask, inputs_embeds=inputs_embeds, **model_args
        )
        start_logits, end_logits = self.qa_head(decoded.last_hidden_state)  # 2 x (b, t)
        loss = None
        if start_positions is not None and end_positions is not None:
            loss = span_loss(start_logits, end_logits, start_positions, end_positions)
        output = Seq2SeqQuestionAnsweringModelOutput(
            loss=loss, start_logits=start_logits, end_logits=end_logits, **seq2seq_fields(encoded, decoded)
        )
        return (
            output if (self.config.return_dict if return_dict is None else return_dict) else output.to_tuple()
        )
