"""T5 (Raffel et al. 2020) and Switch (Fedus et al. 2021): a pre-norm encoder-decoder with relative
position buckets, built from the shared layers.

T5 §2.1 and §3.1; reference code mesh_tensorflow transformer/, transformers models/t5/modeling_t5.py
and models/switch_transformers/modeling_switch_transformers.py. T5's diff from the original
Transformer, each mapped onto a shared-layer argument: RMSNorm without bias before each sub-block
(norm="rms", norm_position="pre") and once after each stack; no biases (bias=False); no 1/sqrt(d)
in attention (attention_scaling=1.0, folded into the initialisation); no absolute positions but one
table of bucketed relative-position scalars per stack, computed once and added to every layer's
self-attention scores (layers/positions.py; cross-attention has none); embeddings shared by
encoder, decoder and (v1.0) the LM head, with the decoder output scaled by d_model^-0.5 before a
tied head. Switch replaces every other FFN with a top-1 mixture of experts (layers/moe.py) and adds
the router z-loss and load-balancing loss to the model's loss.

Shapes: b batch, t decoder (new) tokens, s encoder tokens, D d_model, V vocabulary, E experts,
n routed tokens of all sparse layers of a stack.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import nn
from transformers import GenerationMixin
from transformers import initialization as init
from transformers.cache_utils import Cache
from transformers.modeling_outputs import BaseModelOutput, Seq2SeqLMOutput

from ...constants import IGNORE_INDEX
from ...heads import cross_entropy
from ...layers import (
    FeedForward,
    MultiHeadAttention,
    RelativePositionBias,
    SwitchFeedForward,
    TransformerStack,
    load_balancing_loss,
    router_z_loss,
)
from ...layers.embeddings import as_embedding
from ..base import HfSslPreTrainedModel
from ..encoder_decoder import (
    EncoderDecoderCore,
    Seq2SeqLMHead,
    decoder_masks,
    encoder_mask,
    self_attention_cache,
    shift_right,
)
from ..validation import check_attention_mask, check_sequence, check_unused_inputs
from .configuration_t5 import T5Config


@dataclass
class T5StackOutput(BaseModelOutput):
    """A stack's outputs plus its routers' logits, (b, n, E) over all sparse layers (Switch only)."""

    past_key_values: Cache | None = None
    cross_attentions: tuple[torch.Tensor, ...] | None = None
    router_logits: torch.Tensor | None = None


@dataclass
class T5Seq2SeqLMOutput(Seq2SeqLMOutput):
    """loss = lm_loss + router_z_loss_coef · z_loss + router_aux_loss_coef · aux_loss (Switch; T5: lm_loss).

    z_loss and aux_loss are unweighted sums over encoder and decoder (each a mean over its sparse
    layers' tokens, as transformers' SwitchTransformers computes them).
    """

    lm_loss: torch.Tensor | None = None
    z_loss: torch.Tensor | None = None
    aux_loss: torch.Tensor | None = None
    encoder_router_logits: torch.Tensor | None = None
    decoder_router_logits: torch.Tensor | None = None


ROUTER_INIT_SCALE = 0.1
"""Switch §2.4's reduced initialisation scale s, used for the router of a freshly built model."""


class T5PreTrainedModel(HfSslPreTrainedModel):
    config: T5Config
    config_class = T5Config
    base_model_prefix = "transformer"
    supports_gradient_checkpointing = True
    _supports_sdpa = True
    # flex_attention has no way to add the relative position bias here; eager and sdpa do.
    _supports_flex_attn = False
    _no_split_modules: list[str] = ["TransformerLayer"]

    init_modules_without_parameters: ClassVar[bool] = True

    def activation_checkpointing_enable(
        self, activation_checkpointing_kwargs: dict[str, Any] | None = None, *args: Any, **kwargs: Any
    ) -> None:
        """transformers' activation checkpointing; Switch refuses the reentrant kind.

        Switch layers keep their router logits for the load-balancing loss. Reentrant checkpointing
        runs the first forward without autograd, so that loss would reach no parameter: the
        gradients would silently differ from the unchecked model's.
        """
        if self.config.num_experts > 0 and (activation_checkpointing_kwargs or {}).get("use_reentrant"):
            raise ValueError(
                "use_reentrant=True: Switch's router loss cannot train under reentrant activation "
                "checkpointing (its first forward runs without autograd); use use_reentrant=False, the default"
            )
        super().activation_checkpointing_enable(activation_checkpointing_kwargs, *args, **kwargs)

    @torch.no_grad()
    def _init_weights(self, module: nn.Module) -> None:
        """T5's initialisation (mesh_tensorflow; transformers T5PreTrainedModel._init_weights)."""
        super()._init_weights(module)
        factor, d_model = self.config.initializer_factor, self.config.d_model
        inner = self.config.num_heads * self.config.d_kv
        if isinstance(module, nn.RMSNorm):
            init.constant_(module.weight, factor)
        elif isinstance(module, RelativePositionBias):
            init.normal_(module.embedding.weight, std=factor * d_model**-0.5)
        elif module is getattr(self, "shared", None) or module is getattr(self, "lm_head", None):
            # N(0, 1) word embeddings: the tied head's input is rescaled by d_model^-0.5 instead.
            init.normal_(module.weight, std=factor)
        elif isinstance(module, FeedForward):
            for linear in (module.gate_proj, module.up_proj):
                if linear is not None:
                    init.normal_(linear.weight, std=factor * d_model**-0.5)
            init.normal_(module.down_proj.weight, std=factor * module.down_proj.in_features**-0.5)
        elif isinstance(module, MultiHeadAttention):
            # No 1/sqrt(d) in the scores: the query init carries it instead.
            query_std, key_std = factor * (d_model * self.config.d_kv) ** -0.5, factor * d_model**-0.5
            if module.is_cross_attention:
                init.normal_(module.q_proj.weight, std=query_std)
                init.normal_(module.kv_proj.weight, std=key_std)
            elif isinstance(module.qkv_proj, nn.Linear) and not getattr(
                module.qkv_proj.weight, "_is_hf_initialized", False
            ):
                query, key_value = module.qkv_proj.weight.split([inner, 2 * inner])
                nn.init.normal_(query, std=query_std)
                nn.init.normal_(key_value, std=key_std)
            init.normal_(module.o_proj.weight, std=factor * inner**-0.5)
        elif isinstance(module, SwitchFeedForward):
            # Switch §2.4: std sqrt(s / fan_in) with s = 0.1. (transformers uses std 1: router logits
            # of size ~sqrt(d_model) then route near-deterministically from the first step.)
            init.normal_(module.router.classifier.weight, std=factor * (ROUTER_INIT_SCALE / d_model) ** 0.5)

    def _shift_right(self, input_ids: torch.Tensor, name: str = "labels") -> torch.Tensor:
        """Labels (b, t) -> decoder inputs (b, t), under transformers' T5 name (T5 uses 0 for both ids)."""
        return shift_right(input_ids, self.config.pad_token_id, self.config.decoder_start_token_id, name)

    def prepare_decoder_input_ids_from_labels(self, labels: torch.Tensor) -> torch.Tensor:
        return self._shift_right(labels)


class T5Stack(nn.Module):
    """Encoder or decoder: shared embeddings -> dropout -> pre-norm layers with one relative bias
    table -> final RMSNorm -> dropout. The embedding module is owned by the model and only referenced
    here (not registered twice), so the checkpoint holds it once as `shared.weight`."""

    main_input_name = "input_ids"  # GenerationMixin reads it on the encoder
    embed_tokens: nn.Embedding

    def __init__(self, config: T5Config, embed_tokens: nn.Embedding, *, decoder: bool) -> None:
        super().__init__()
        self.config = config
        self.is_decoder = decoder
        self.set_input_embeddings(embed_tokens)
        self.relative_position_bias = RelativePositionBias(
            config.num_heads,
            bidirectional=not decoder,
            num_buckets=config.relative_attention_num_buckets,
            max_distance=config.relative_attention_max_distance,
        )

        def switch_layer(index: int) -> nn.Module | None:
            if not config.is_sparse_layer(index, decoder=decoder):
                return None
            return SwitchFeedForward(
                config.d_model,
                config.d_ff,
                config.num_experts,
                activation=config.dense_act_fn,
                gated=config.is_gated_act,
                dropout=config.dropout_rate,
                expert_capacity=config.expert_capacity,
                capacity_factor=config.capacity_factor,
                jitter_noise=config.router_jitter_noise,
                router_bias=config.router_bias,
            )

        num_layers = config.num_decoder_layers if decoder else config.num_layers
        assert num_layers is not None  # the config fills num_decoder_layers in
        self.stack = TransformerStack(
            num_layers,
            final_norm=True,
            feed_forward_for_layer=switch_layer,
            hidden_size=config.d_model,
            num_heads=config.num_heads,
            intermediate_size=config.d_ff,
            activation=config.dense_act_fn,
            gated=config.is_gated_act,
            norm_position="pre",
            norm="rms",
            norm_eps=config.layer_norm_epsilon,
            dropout=config.dropout_rate,
            attention_dropout=config.dropout_rate,
            ffn_dropout=config.dropout_rate,
            is_causal=decoder,
            cross_attention=decoder,
            bias=False,
            head_dim=config.d_kv,
            attention_scaling=1.0,
        )
        self.dropout = nn.Dropout(config.dropout_rate)

    def set_input_embeddings(self, embed_tokens: nn.Module) -> None:
        object.__setattr__(self, "embed_tokens", embed_tokens)  # a reference, not a submodule

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        encoder_hidden_states: torch.Tensor | None = None,
        encoder_attention_mask: torch.Tensor | None = None,
        past_key_values: Cache | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        position_ids: torch.Tensor | None = None,
        encoder_position_ids: torch.Tensor | None = None,
        **kwargs: Any,
    ) -> T5StackOutput:
        """input_ids (b, t) -> last_hidden_state (b, t, D); attention_mask (b, cached + t) for the decoder.

        Packed rows: `position_ids` (b, t) restarting at 0 mark the documents of a row (and, for the
        decoder, `encoder_position_ids` (b, s) those of the encoder's row). T5 has no absolute
        positions, and the relative distance of two tokens of one document does not depend on
        where it starts, so the positions only build block-diagonal masks. (Switch layers route by
        capacity over the whole batch, so there packed rows equal the padded path only while no
        expert overflows.)
        """
        check_unused_inputs(type(self).__name__, kwargs, positions=True)
        name = "decoder_input_ids" if self.is_decoder else "input_ids"
        batch, query_length = check_sequence(
            name, input_ids, inputs_embeds, self.config.vocab_size, width=self.config.d_model
        )
        if inputs_embeds is None:
            inputs_embeds = self.embed_tokens(input_ids)  # (b, t, D)
        self_cache = self_attention_cache(past_key_values)
        past_length = self_cache.get_seq_length() if self_cache is not None else 0
        check_attention_mask(
            attention_mask,
            (batch, past_length + query_length),
            "decoder_attention_mask" if self.is_decoder else "attention_mask",
        )
        if self.is_decoder:
            if position_ids is not None and encoder_position_ids is None:
                # T5 has no absolute positions: decoder position ids only ever mark packed documents.
                raise ValueError(
                    "packed rows need both decoder_position_ids and the encoder's position_ids; got only "
                    "the decoder's"
                )
            mask, memory_mask = decoder_masks(
                self.config,
                inputs_embeds,
                attention_mask,
                past_key_values,
                encoder_hidden_states,
                encoder_attention_mask,
                position_ids,
                encoder_position_ids,
            )
        else:
            mask, memory_mask = encoder_mask(self.config, inputs_embeds, attention_mask, position_ids), None
        position_bias = self.relative_position_bias(
            query_length, past_length + query_length, past_length
        )  # (1, h, t, cached + t)
        hidden, all_hidden, attentions, cross_attentions = self.stack(
            self.dropout(inputs_embeds),
            mask,
            encoder_hidden_states,
            memory_mask,
            attn_implementation=self.config._attn_implementation or "sdpa",
            past_key_values=past_key_values,
            position_bias=position_bias.to(inputs_embeds.dtype),
            output_hidden_states=self.config.output_hidden_states
            if output_hidden_states is None
            else output_hidden_states,
            output_attentions=self.config.output_attentions
            if output_attentions is None
            else output_attentions,
        )
        routed = [
            layer.ffn.last_router_logits
            for layer in self.stack.layers
            if isinstance(layer.ffn, SwitchFeedForward) and layer.ffn.last_router_logits is not None
        ]
        return T5StackOutput(
            last_hidden_state=self.dropout(hidden),
            hidden_states=all_hidden,
            attentions=attentions,
            past_key_values=past_key_values,
            cross_attentions=cross_attentions,
            router_logits=torch.cat(routed, dim=1) if routed else None,  # (b, n, E)
        )


class _T5EncoderDecoder(EncoderDecoderCore, T5PreTrainedModel):
    """Shared embeddings, encoder and decoder: what T5Model and T5ForConditionalGeneration share.

    With no decoder inputs the decoder echoes input_ids shifted right, with the attention_mask
    shifted alike, so the bare model and feature extraction run on input_ids alone (transformers'
    T5 raises there instead)."""

    encoder_output_class = T5StackOutput
    decoder_mask_from_input = True

    def __init__(self, config: T5Config) -> None:
        super().__init__(config)
        self.shared = nn.Embedding(config.vocab_size, config.d_model)
        self.encoder = T5Stack(config, self.shared, decoder=False)
        self.decoder = T5Stack(config, self.shared, decoder=True)

    def get_input_embeddings(self) -> nn.Embedding:
        return self.shared

    def set_input_embeddings(self, value: nn.Module) -> None:
        self.shared = as_embedding(value)
        self.encoder.set_input_embeddings(value)
        self.decoder.set_input_embeddings(value)

    def get_encoder(self, modality: str | None = None) -> T5Stack:
        return self.encoder

    def get_decoder(self) -> T5Stack:
        return self.decoder


class T5Model(_T5EncoderDecoder):
    """The bare encoder-decoder: decoder states (b, t, D) over the encoder's (b, s, D)."""

    def __init__(self, config: T5Config) -> None:
        super().__init__(config)
        self.post_init()


class T5ForConditionalGeneration(Seq2SeqLMHead, _T5EncoderDecoder, GenerationMixin):  # type: ignore[misc]
    """Encoder-decoder + LM head (tied and rescaled for v1.0, own matrix for v1.1); `generate` works
    with an EncoderDecoderCache (greedy, sampling, beam search). Switch adds its router losses."""

    _tied_weights_keys: dict[str, str] = {"lm_head.weight": "shared.weight"}
    output_class = T5Seq2SeqLMOutput

    def __init__(self, config: T5Config) -> None:
        super().__init__(config)
        self.lm_head = nn.Linear(config.d_model, config.vocab_size, bias=False)
        self.post_init()

    def get_output_embeddings(self) -> nn.Linear:
        return self.lm_head

    def set_output_embeddings(self, value: nn.Linear) -> None:
        self.lm_head = value

    def lm_logits(self, hidden: torch.Tensor) -> torch.Tensor:
        if self.config.tie_word_embeddings:
            # mesh_tensorflow: rescale before projecting onto the (N(0, 1)-initialised) embeddings.
            hidden = hidden * self.config.d_model**-0.5
        return self.lm_head(hidden)  # (..., V)

    def lm_outputs(
        self,
        logits: torch.Tensor,
        labels: torch.Tensor | None,
        num_items_in_batch: Any,
        encoded: T5StackOutput,
        decoded: T5StackOutput,
    ) -> dict[str, Any]:
        """The LM loss plus, for Switch, the router z-loss and load-balancing loss of both stacks."""
        z_loss: torch.Tensor | None = None
        aux_loss: torch.Tensor | None = None
        for router_logits in (encoded.router_logits, decoded.router_logits):
            if router_logits is not None:
                z, aux = router_z_loss(router_logits), load_balancing_loss(router_logits)
                z_loss = z if z_loss is None else z_loss + z
                aux_loss = aux if aux_loss is None else aux_loss + aux
        lm_loss = loss = None
        if labels is not None:
            lm_loss = cross_entropy(logits, labels, num_items_in_batch)
            loss = lm_loss
            if z_loss is not None and aux_loss is not None:
                # Under gradient accumulation Trainer sums the micro-batch losses; weighting the router
                # losses by this micro-batch's share of the targets keeps their total a mean.
                share: torch.Tensor | float = 1.0
                if num_items_in_batch is not None:
                    share = labels.ne(IGNORE_INDEX).sum() / num_items_in_batch
                router = self.config.router_z_loss_coef * z_loss + self.config.router_aux_loss_coef * aux_loss
                loss = lm_loss + share * router
                self._last_losses = {
                    "lm_loss": float(lm_loss.detach()),
                    "z_loss": float(z_loss.detach()),
                    "aux_loss": float(aux_loss.detach()),
                }
        return {
            "loss": loss,
            "lm_loss": lm_loss,
            "z_loss": z_loss,
            "aux_loss": aux_loss,
            "encoder_router_logits": encoded.router_logits,
            "decoder_router_logits": decoded.router_logits,
        }


class T5EncoderModel(T5PreTrainedModel):
    """The encoder alone (text embeddings for retrieval or classification heads): (b, s) -> (b, s, D)."""

    def __init__(self, config: T5Config) -> None:
        super().__init__(config)
        self.shared = nn.Embedding(config.vocab_size, config.d_model)
        self.encoder = T5Stack(config, self.shared, decoder=False)
        self.post_init()

    def get_input_embeddings(self) -> nn.Embedding:
        return self.shared

    def set_input_embeddings(self, value: nn.Module) -> None:
        self.shared = as_embedding(value)
        self.encoder.set_input_embeddings(value)

    def get_encoder(self, modality: str | None = None) -> T5Stack:
        return self.encoder

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        position_ids: torch.Tensor | None = None,
        **kwargs: Any,
    ) -> T5StackOutput | tuple[Any, ...]:
        """position_ids (b, s) restarting inside a row mark packed documents, kept apart."""
        check_unused_inputs(type(self).__name__, kwargs, positions=True)
        output = self.encoder(
            input_ids,
            attention_mask,
            inputs_embeds,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            position_ids=position_ids,
        )
        return (
            output if (self.config.return_dict if return_dict is None else return_dict) else output.to_tuple()
        )


__all__ = [
    "T5EncoderModel",
    "T5ForConditionalGeneration",
    "T5Model",
    "T5PreTrainedModel",
    "T5Seq2SeqLMOutput",
    "T5Stack",
    "T5StackOutput",
]
