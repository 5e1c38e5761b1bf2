"""The encoder-decoder core that BART/MASS and T5/Switch build on.

What every sequence-to-sequence family here does alike lives in this module: teacher forcing (the
targets shifted right behind the start token), reading `encoder_outputs` given as a tuple, the
self-attention part of an encoder-decoder cache, the masks of packed rows, running the encoder and
then the decoder (`EncoderDecoderCore.encode_decode`) and the outputs every head passes through.
What stays in each family's file is what its paper changes: norms, the position scheme, the
feed-forward and routing, the LM head's scaling.

An encoder is called as ``encoder(input_ids, attention_mask, inputs_embeds, output_attentions=,
output_hidden_states=, position_ids=)``; a decoder as ``decoder(input_ids, attention_mask,
inputs_embeds, encoder_hidden_states=, encoder_attention_mask=, past_key_values=,
output_attentions=, output_hidden_states=, position_ids=, encoder_position_ids=)``.

Shapes: b batch, s encoder tokens, t decoder (new) tokens, D width.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from transformers import PreTrainedConfig
from transformers.cache_utils import Cache, DynamicCache, EncoderDecoderCache
from transformers.modeling_outputs import BaseModelOutput, Seq2SeqLMOutput, Seq2SeqModelOutput

from ..compat import accepts_cache, cache_field
from ..constants import IGNORE_INDEX
from ..heads import check_label_values, cross_entropy, select_labelled
from ..layers import bidirectional_mask, causal_mask
from ..layers.masks import sequence_ids_from_position_ids
from .validation import check_integer_tensor, check_unused_inputs


def shift_right(
    labels: torch.Tensor, pad_token_id: int | None, decoder_start_token_id: int | None, name: str = "labels"
) -> torch.Tensor:
    """Teacher forcing: decoder inputs are the targets moved one step right behind the start token.

    labels (b, t) -> (b, t); ignored positions (-100) become padding.
    """
    if pad_token_id is None or decoder_start_token_id is None:
        raise ValueError(
            f"shifting {name} right needs config.pad_token_id and config.decoder_start_token_id, "
            f"got {pad_token_id!r} and {decoder_start_token_id!r}"
        )
    check_integer_tensor(name, labels, "token ids")
    shifted = labels.new_full(labels.shape, decoder_start_token_id)  # (b, t)
    shifted[..., 1:] = labels[..., :-1]
    return shifted.masked_fill(shifted == IGNORE_INDEX, pad_token_id)


def as_encoder_output(encoder_outputs: Any, output_class: type[BaseModelOutput] = BaseModelOutput) -> Any:
    """`encoder_outputs` as `output_class`: generate and users may pass a plain tuple
    (last_hidden_state, hidden_states, attentions), the trailing ones optional."""
    if isinstance(encoder_outputs, output_class):
        return encoder_outputs
    if isinstance(encoder_outputs, BaseModelOutput):
        return output_class(**dict(encoder_outputs.items()))
    return output_class(
        last_hidden_state=encoder_outputs[0],
        hidden_states=encoder_outputs[1] if len(encoder_outputs) > 1 else None,
        attentions=encoder_outputs[2] if len(encoder_outputs) > 2 else None,
    )


def self_attention_cache(past_key_values: Cache | None) -> Cache | None:
    """The decoder self-attention's part of a cache (an EncoderDecoderCache also holds cross-attention)."""
    if isinstance(past_key_values, EncoderDecoderCache):
        return past_key_values.self_attention_cache
    return past_key_values


def encoder_mask(
    config: PreTrainedConfig,
    hidden: torch.Tensor,
    attention_mask: torch.Tensor | None,
    position_ids: torch.Tensor | None,
) -> Any:
    """Bidirectional self-attention mask; position_ids (b, s) restarting inside a row (packed
    documents) keep each document to itself."""
    documents = None if position_ids is None else sequence_ids_from_position_ids(position_ids)  # (b, s)
    return bidirectional_mask(config, hidden, attention_mask, sequence_ids=documents)


def decoder_masks(
    config: PreTrainedConfig,
    hidden: torch.Tensor,
    attention_mask: torch.Tensor | None,
    past_key_values: Cache | None,
    encoder_hidden_states: torch.Tensor | None,
    encoder_attention_mask: torch.Tensor | None,
    position_ids: torch.Tensor | None,
    encoder_position_ids: torch.Tensor | None,
) -> tuple[Any, Any]:
    """(causal self-attention mask, cross-attention mask) of a decoder.

    Packed rows: given the encoder's `encoder_position_ids` (b, s), both sides' position ids number
    their documents, and decoder document k attends only to itself and to encoder document k.
    """
    documents = memory_documents = None
    if encoder_position_ids is not None:
        if position_ids is None:
            raise ValueError(
                "packed rows need both decoder_position_ids and the encoder's position_ids; got only the encoder's"
            )
        documents = sequence_ids_from_position_ids(position_ids)  # (b, t)
        memory_documents = sequence_ids_from_position_ids(encoder_position_ids)  # (b, s)
    self_mask = causal_mask(
        config,
        hidden,
        attention_mask,
        past_key_values=self_attention_cache(past_key_values),
        sequence_ids=documents,
    )
    cross_mask = bidirectional_mask(
        config,
        hidden,
        encoder_attention_mask,
        encoder_hidden_states=encoder_hidden_states,
        sequence_ids=documents,
        memory_sequence_ids=memory_documents,
    )
    return self_mask, cross_mask


def seq2seq_fields(encoded: BaseModelOutput, decoded: BaseModelOutput) -> dict[str, Any]:
    """The encoder and decoder outputs every sequence-to-sequence output carries (all but the head's)."""
    return {
        **cache_field(getattr(decoded, "past_key_values", None)),
        "decoder_hidden_states": decoded.hidden_states,
        "decoder_attentions": decoded.attentions,
        "cross_attentions": getattr(decoded, "cross_attentions", None),
        "encoder_last_hidden_state": encoded.last_hidden_state,
        "encoder_hidden_states": encoded.hidden_states,
        "encoder_attentions": encoded.attentions,
    }


class EncoderDecoderCore:
    """Mixin for a model holding `self.encoder` and `self.decoder`: one pass through both.

    Class settings a family chooses:
        encoder_output_class: what `encoder_outputs` are converted to (T5 adds router logits).
        decoder_mask_from_input: when the decoder echoes input_ids (no decoder inputs given), shift
            the attention_mask with them (T5), or leave the decoder's self-attention causal only (BART,
            as transformers does).
    """

    config: Any
    training: bool
    encoder: Any
    decoder: Any
    encoder_output_class: ClassVar[type[BaseModelOutput]] = BaseModelOutput
    decoder_mask_from_input: ClassVar[bool] = False

    def shift_right(self, labels: torch.Tensor, name: str = "labels") -> torch.Tensor:
        return shift_right(labels, self.config.pad_token_id, self.config.decoder_start_token_id, name)

    def encode_decode(
        self,
        *,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        decoder_input_ids: torch.Tensor | None = None,
        decoder_attention_mask: torch.Tensor | None = None,
        encoder_outputs: Any = None,
        past_key_values: Cache | None = None,
        inputs_embeds: torch.Tensor | None = None,
        decoder_inputs_embeds: torch.Tensor | None = None,
        use_cache: bool | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        position_ids: torch.Tensor | None = None,
        decoder_position_ids: torch.Tensor | None = None,
        cross_attention_mask: torch.Tensor | None = None,
    ) -> tuple[Any, Any]:
        """(encoder outputs, decoder outputs). Without decoder inputs the decoder reads input_ids
        shifted right, as in denoising pretraining. cross_attention_mask (b, s): which encoder
        positions the decoder may read (default: attention_mask). A cache is built when use_cache
        (default: config.use_cache outside training) and none is given."""
        config = self.config
        output_attentions = config.output_attentions if output_attentions is None else output_attentions
        output_hidden_states = (
            config.output_hidden_states if output_hidden_states is None else output_hidden_states
        )
        if decoder_input_ids is None and decoder_inputs_embeds is None:
            if input_ids is None:
                raise ValueError(
                    "give decoder_input_ids, decoder_inputs_embeds or labels (or input_ids to echo)"
                )
            decoder_input_ids = self.shift_right(input_ids, "input_ids")  # (b, s)
            if self.decoder_mask_from_input and decoder_attention_mask is None and attention_mask is not None:
                decoder_attention_mask = torch.cat(
                    [attention_mask.new_ones(attention_mask.shape[0], 1), attention_mask[:, :-1]], dim=1
                )  # (b, s)
        if encoder_outputs is None:
            encoder_outputs = self.encoder(
                input_ids,
                attention_mask,
                inputs_embeds,
                output_attentions=output_attentions,
                output_hidden_states=output_hidden_states,
                position_ids=position_ids,
            )
        encoded = as_encoder_output(encoder_outputs, self.encoder_output_class)
        use_cache = (config.use_cache and not self.training) if use_cache is None else use_cache
        if use_cache and past_key_values is None:
            past_key_values = EncoderDecoderCache(DynamicCache(), DynamicCache())
        decoded = self.decoder(
            decoder_input_ids,
            decoder_attention_mask,
            decoder_inputs_embeds,
            encoder_hidden_states=encoded.last_hidden_state,
            encoder_attention_mask=attention_mask if cross_attention_mask is None else cross_attention_mask,
            past_key_values=past_key_values if use_cache else None,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            position_ids=decoder_position_ids,
            encoder_position_ids=position_ids,
        )
        return encoded, decoded

    @accepts_cache
    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        decoder_input_ids: torch.Tensor | None = None,
        decoder_attention_mask: torch.Tensor | None = None,
        encoder_outputs: Any = None,
        past_key_values: Cache | None = None,
        inputs_embeds: torch.Tensor | None = None,
        decoder_inputs_embeds: torch.Tensor | None = None,
        use_cache: bool | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        position_ids: torch.Tensor | None = None,
        decoder_position_ids: torch.Tensor | None = None,
        cross_attention_mask: torch.Tensor | None = None,
        **kwargs: Any,
    ) -> Seq2SeqModelOutput | tuple[Any, ...]:
        """The bare encoder-decoder: input_ids (b, s), decoder_input_ids (b, t) -> last_hidden_state
        (b, t, D), with the encoder's states. Arguments as `encode_decode`'s.

        Packed rows (`hf_ssl.objectives.pack_seq2seq_batch`): position_ids and decoder_position_ids
        restarting inside a row keep every document pair to itself.
        """
        check_unused_inputs(type(self).__name__, kwargs, positions=True)
        encoded, decoded = self.encode_decode(
            input_ids=input_ids,
            attention_mask=attention_mask,
            decoder_input_ids=decoder_input_ids,
            decoder_attention_mask=decoder_attention_mask,
            encoder_outputs=encoder_outputs,
            past_key_values=past_key_values,
            inputs_embeds=inputs_embeds,
            decoder_inputs_embeds=decoder_inputs_embeds,
            use_cache=use_cache,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            position_ids=position_ids,
            decoder_position_ids=decoder_position_ids,
            cross_attention_mask=cross_attention_mask,
        )
        output = Seq2SeqModelOutput(
            last_hidden_state=decoded.last_hidden_state, **seq2seq_fields(encoded, decoded)
        )
        return (
            output if (self.config.return_dict if return_dict is None else return_dict) else output.to_tuple()
        )


class Seq2SeqLMHead:
    """Mixin for a conditional-generation model: the encoder-decoder core, then an LM head over the
    decoder's states. One forward for every family; a family supplies what its paper changes:

        seq2seq_core: the EncoderDecoderCore (the model itself, or the bare model it holds).
        lm_logits(hidden): its vocabulary projection (BART adds a fixed bias, T5 v1.0 rescales before
            a tied head).
        lm_outputs(logits, labels, num_items_in_batch, encoded, decoded): the loss and any extra output
            fields (Switch adds its router losses); by default the cross-entropy.
        output_class: the ModelOutput it returns.
        no_cache_with_labels: given labels, build no cache (BART, as transformers does).

    In training with labels, logits are computed only at the n labelled positions and come back as
    (n, V); otherwise (b, t, V).
    """

    config: Any
    training: bool
    output_class: ClassVar[type[Seq2SeqLMOutput]] = Seq2SeqLMOutput
    no_cache_with_labels: ClassVar[bool] = False

    @property
    def seq2seq_core(self) -> EncoderDecoderCore:
        return self  # type: ignore[return-value]

    def lm_logits(self, hidden: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def lm_outputs(
        self,
        logits: torch.Tensor,
        labels: torch.Tensor | None,
        num_items_in_batch: Any,
        encoded: Any,
        decoded: Any,
    ) -> dict[str, Any]:
        return {"loss": None if labels is None else cross_entropy(logits, labels, num_items_in_batch)}

    def prepare_decoder_input_ids_from_labels(self, labels: torch.Tensor) -> torch.Tensor:
        return self.seq2seq_core.shift_right(labels)

    @accepts_cache
    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        decoder_input_ids: torch.Tensor | None = None,
        decoder_attention_mask: torch.Tensor | None = None,
        encoder_outputs: Any = None,
        past_key_values: Cache | None = None,
        inputs_embeds: torch.Tensor | None = None,
        decoder_inputs_embeds: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        use_cache: bool | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        num_items_in_batch: torch.Tensor | int | None = None,
        position_ids: torch.Tensor | None = None,
        decoder_position_ids: torch.Tensor | None = None,
        cross_attention_mask: torch.Tensor | None = None,
        **kwargs: Any,
    ) -> Seq2SeqLMOutput | tuple[Any, ...]:
        """labels (b, t): the target ids, -100 where no prediction is wanted; without decoder inputs
        the decoder reads them shifted right. Other arguments as `EncoderDecoderCore.encode_decode`'s."""
        check_unused_inputs(type(self).__name__, kwargs, positions=True)
        if labels is not None:
            check_label_values(labels, self.config.vocab_size)
            if self.no_cache_with_labels:
                use_cache = False
            if decoder_input_ids is None and decoder_inputs_embeds is None:
                decoder_input_ids = self.prepare_decoder_input_ids_from_labels(labels)
        encoded, decoded = self.seq2seq_core.encode_decode(
            input_ids=input_ids,
            attention_mask=attention_mask,
            decoder_input_ids=decoder_input_ids,
            decoder_attention_mask=decoder_attention_mask,
            encoder_outputs=encoder_outputs,
            past_key_values=past_key_values,
            inputs_embeds=inputs_embeds,
            decoder_inputs_embeds=decoder_inputs_embeds,
            use_cache=use_cache,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            position_ids=position_ids,
            decoder_position_ids=decoder_position_ids,
            cross_attention_mask=cross_attention_mask,
        )
        hidden = decoded.last_hidden_state  # (b, t, D)
        if labels is not None:
            # Sparse prediction, as hf_ssl's MLM head: padded target positions skip the vocabulary
            # projection, the largest matmul of a small model's step.
            hidden, labels = select_labelled(hidden, labels, self.training)  # (n, D), (n,) in training
        logits = self.lm_logits(hidden)  # (b, t, V), or (n, V) in training with labels
        fields = self.lm_outputs(logits, labels, num_items_in_batch, encoded, decoded)
        output = self.output_class(logits=logits, **fields, **seq2seq_fields(encoded, decoded))
        return (
            output if (self.config.return_dict if return_dict is None else return_dict) else output.to_tuple()
        )


__all__ = [
    "EncoderDecoderCore",
    "Seq2SeqLMHead",
    "as_encoder_output",
    "decoder_masks",
    "encoder_mask",
    "self_attention_cache",
    "seq2seq_fields",
    "shift_right",
]
