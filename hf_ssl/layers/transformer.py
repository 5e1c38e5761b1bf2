"""Transformer layer and stack: post- or pre-norm, optional cross-attention, optional layer sharing.

Vaswani et al. 2017 §3.1. `norm_position` is the one switch between the zoo's two layouts:
  - "post" (the original Transformer; BERT, RoBERTa, ALBERT, ELECTRA, BART, MASS, GPT-1):
        x = LN(x + Attn(x));            x = LN(x + FFN(x))
  - "pre" (GPT-2, T5; Xiong et al. 2020 "On Layer Normalization in the Transformer Architecture"):
        x = x + Attn(LN(x));            x = x + FFN(LN(x))      and one final LN after the stack.
Layer sharing is ALBERT's (Lan et al. 2020 §3.1; google-research/albert modeling.py:1090-1110):
`num_layers` applications of `num_groups` distinct layers, layer i running group int(i·G/L).

Shapes: b batch, t length, s memory length, D model width.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn
from transformers.cache_utils import Cache
from transformers.modeling_layers import GradientCheckpointingLayer

from .attention import MultiHeadAttention
from .feed_forward import FeedForward

NORM_POSITIONS = ("post", "pre")


def make_norm(kind: str, size: int, eps: float) -> nn.Module:
    """LayerNorm ("layer") or bias-free RMSNorm without mean subtraction ("rms", T5)."""
    if kind == "layer":
        return nn.LayerNorm(size, eps=eps)
    if kind == "rms":
        return nn.RMSNorm(size, eps=eps)
    raise ValueError(f"norm={kind!r}; expected 'layer' or 'rms'")


class TransformerLayer(GradientCheckpointingLayer):
    """Self-attention (+ cross-attention) + feed-forward, each a residual sub-block with its norm.

    Args:
        hidden_size, num_heads, intermediate_size: D, h and the FFN width.
        activation: transformers activation name for the FFN.
        norm_position: "post" (BERT, GPT-1, BART) or "pre" (GPT-2, T5).
        norm: "layer" or "rms"; norm_eps its epsilon.
        dropout: on each sub-block's output before the residual sum.
        attention_dropout: on attention weights. ffn_dropout: on the FFN's inner activation (T5).
        is_causal: decoder self-attention.
        cross_attention: add an attention onto an encoder memory (encoder-decoder decoders).
        bias: biases in projections (False for T5). gated: gated FFN (T5 v1.1).
        head_dim, attention_scaling: see MultiHeadAttention.
        layer_idx: cache slot of this layer.
        feed_forward: a module replacing the dense FFN, (b, t, D) -> (b, t, D) (Switch's mixture of
            experts); it sits in the same residual sub-block with the same norm.
    """

    def __init__(
        self,
        hidden_size: int,
        num_heads: int,
        intermediate_size: int,
        *,
        activation: str = "gelu",
        norm_position: str = "post",
        norm: str = "layer",
        norm_eps: float = 1e-12,
        dropout: float = 0.0,
        attention_dropout: float = 0.0,
        ffn_dropout: float = 0.0,
        is_causal: bool = False,
        cross_attention: bool = False,
        bias: bool = True,
        gated: bool = False,
        head_dim: int | None = None,
        attention_scaling: float | None = None,
        layer_idx: int | None = None,
        feed_forward: nn.Module | None = None,
    ) -> None:
        super().__init__()
        if norm_position not in NORM_POSITIONS:
            raise ValueError(f"norm_position={norm_position!r}; expected one of {NORM_POSITIONS}")
        self.pre_norm = norm_position == "pre"
        attention_args: dict[str, Any] = {
            "head_dim": head_dim,
            "bias": bias,
            "dropout": attention_dropout,
            "scaling": attention_scaling,
            "layer_idx": layer_idx,
        }
        self.self_attn = MultiHeadAttention(hidden_size, num_heads, is_causal=is_causal, **attention_args)
        self.self_attn_norm = make_norm(norm, hidden_size, norm_eps)
        if cross_attention:
            self.cross_attn: MultiHeadAttention | None = MultiHeadAttention(
                hidden_size, num_heads, is_cross_attention=True, **attention_args
            )
            self.cross_attn_norm: nn.Module | None = make_norm(norm, hidden_size, norm_eps)
        else:
            self.cross_attn = self.cross_attn_norm = None
        self.ffn = feed_forward or FeedForward(
            hidden_size, intermediate_size, activation=activation, bias=bias, gated=gated, dropout=ffn_dropout
        )
        self.ffn_norm = make_norm(norm, hidden_size, norm_eps)
        self.dropout = nn.Dropout(dropout)

    def _residual(self, x: torch.Tensor, norm: nn.Module, block: Any) -> tuple[torch.Tensor, Any]:
        if self.pre_norm:
            out, extra = block(norm(x))
            return x + self.dropout(out), extra
        out, extra = block(x)
        return norm(x + self.dropout(out)), extra

    def forward(
        self,
        hidden_states: torch.Tensor,
        attention_mask: Any = None,
        encoder_hidden_states: torch.Tensor | None = None,
        encoder_attention_mask: Any = None,
        position_bias: torch.Tensor | None = None,
        *,
        attn_implementation: str = "sdpa",
        past_key_values: Cache | None = None,
        query_positions: torch.Tensor | None = None,
        **kwargs: Any,
    ) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
        """(b, t, D) -> ((b, t, D), self-attention weights, cross-attention weights).

        `query_positions` (b, q) column indices: compute the layer's output only there, (b, q, D).
        Every token still gives its key and value, so those q outputs equal the full layer's at
        the same positions; the rest of the layer (queries, attention output, feed-forward) runs on
        q tokens instead of t. For the last layer of an MLM encoder, whose outputs are only read at
        the masked positions. Encoder self-attention with a per-token feed-forward only.
        """
        if query_positions is not None:
            return (
                self._forward_at(hidden_states, attention_mask, query_positions, attn_implementation),
                None,
                None,
            )
        hidden_states, self_weights = self._residual(
            hidden_states,
            self.self_attn_norm,
            lambda x: self.self_attn(
                x,
                attention_mask,
                attn_implementation=attn_implementation,
                past_key_values=past_key_values,
                position_bias=position_bias,
                **kwargs,
            ),
        )
        cross_weights = None
        cross_attn, cross_attn_norm = self.cross_attn, self.cross_attn_norm
        if cross_attn is not None and cross_attn_norm is not None and encoder_hidden_states is not None:
            hidden_states, cross_weights = self._residual(
                hidden_states,
                cross_attn_norm,
                lambda x: cross_attn(
                    x,
                    encoder_attention_mask,
                    attn_implementation=attn_implementation,
                    key_value_states=encoder_hidden_states,
                    past_key_values=past_key_values,
                    **kwargs,
                ),
            )
        hidden_states, _ = self._residual(hidden_states, self.ffn_norm, lambda x: (self.ffn(x), None))
        return hidden_states, self_weights, cross_weights

    def _forward_at(
        self,
        hidden_states: torch.Tensor,
        attention_mask: Any,
        positions: torch.Tensor,
        attn_implementation: str,
    ) -> torch.Tensor:
        """The layer's output at `positions` (b, q) only: (b, t, D) -> (b, q, D)."""
        if self.cross_attn is not None or not isinstance(self.ffn, FeedForward):
            raise ValueError("query_positions needs an encoder layer with a per-token feed-forward")
        if attention_mask is not None and not isinstance(attention_mask, torch.Tensor):
            raise ValueError(
                f"query_positions needs a tensor mask or None, got {type(attention_mask).__name__}"
            )
        if isinstance(attention_mask, torch.Tensor) and attention_mask.shape[2] != 1:
            rows = positions[:, None, :, None].expand(
                -1, attention_mask.shape[1], -1, attention_mask.shape[3]
            )
            attention_mask = attention_mask.gather(2, rows)  # (b, 1, q, s): the queries' mask rows
        gather = positions[..., None].expand(-1, -1, hidden_states.shape[-1])  # (b, q, D)
        keys_from = self.self_attn_norm(hidden_states) if self.pre_norm else hidden_states  # (b, t, D)
        queries_from = keys_from.gather(1, gather)  # (b, q, D); norms are per token
        out, _ = self.self_attn(
            keys_from, attention_mask, attn_implementation=attn_implementation, query_states=queries_from
        )  # (b, q, D)
        residual = hidden_states.gather(1, gather) if self.pre_norm else queries_from
        if self.pre_norm:
            hidden_states = residual + self.dropout(out)
        else:
            hidden_states = self.self_attn_norm(residual + self.dropout(out))
        hidden_states, _ = self._residual(hidden_states, self.ffn_norm, lambda x: (self.ffn(x), None))
        return hidden_states


class TransformerStack(nn.Module):
    """`num_layers` applications of `num_groups` distinct TransformerLayers, and a final norm for pre-norm.

    Args:
        num_layers: depth L (how many layer applications).
        num_groups: distinct parameter sets G (default L: no sharing; 1: ALBERT's all-shared).
        final_norm: a norm after the last layer (pre-norm stacks: GPT-2, T5). Built with the same
            `norm` kind and `norm_eps` as the layers.
        feed_forward_for_layer: layer index -> a module replacing that layer's dense FFN, or None to
            keep it (Switch: a mixture of experts in every other layer).
        **layer_kwargs: passed to every TransformerLayer.
    """

    def __init__(
        self,
        num_layers: int,
        *,
        num_groups: int | None = None,
        final_norm: bool = False,
        feed_forward_for_layer: Callable[[int], nn.Module | None] | None = None,
        **layer_kwargs: Any,
    ) -> None:
        super().__init__()
        num_groups = num_layers if num_groups is None else num_groups
        if num_layers < 1:
            raise ValueError(f"num_layers={num_layers}; expected >= 1")
        if not 1 <= num_groups <= num_layers:
            raise ValueError(f"num_groups={num_groups}; expected between 1 and num_layers={num_layers}")
        self.num_layers = num_layers
        self.layers = nn.ModuleList(
            TransformerLayer(
                layer_idx=i,
                feed_forward=feed_forward_for_layer(i) if feed_forward_for_layer is not None else None,
                **layer_kwargs,
            )
            for i in range(num_groups)
        )
        self.layer_for_depth = [i * num_groups // num_layers for i in range(num_layers)]
        hidden_size = layer_kwargs["hidden_size"]
        self.final_norm = (
            make_norm(layer_kwargs.get("norm", "layer"), hidden_size, layer_kwargs.get("norm_eps", 1e-12))
            if final_norm
            else None
        )

    def forward(
        self,
        hidden_states: torch.Tensor,
        attention_mask: Any = None,
        encoder_hidden_states: torch.Tensor | None = None,
        encoder_attention_mask: Any = None,
        *,
        output_hidden_states: bool = False,
        output_attentions: bool = False,
        only_at: torch.Tensor | None = None,
        position_bias: torch.Tensor | None = None,
        **kwargs: Any,
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, ...] | None, tuple[Any, ...] | None, tuple[Any, ...] | None]:
        """(b, t, D) -> (last hidden (b, t, D), all hidden states, self-attentions, cross-attentions).

        `all hidden states` starts with the stack's input and has L + 1 entries; with a final norm,
        the last entry is the normed output (transformers' convention).

        `only_at` (b, t) bool: the last hidden state is wanted only where True; it is returned as
        (n, D), the n selected tokens in row-major order (`hidden[only_at]` of the full stack), and
        the last layer computes only those (TransformerLayer's `query_positions`).
        """
        if only_at is not None and (output_hidden_states or output_attentions):
            raise ValueError("only_at returns the selected tokens alone: no hidden states or attentions")
        if (
            self.training
            and torch.is_grad_enabled()
            and any(getattr(layer, "gradient_checkpointing", False) for layer in self.layers)
        ):
            # A checkpointed layer runs twice (forward, then the backward's recompute), so a cache
            # would take its keys twice. transformers' GradientCheckpointingLayer drops the cache
            # only under its own release's name for it (hf_ssl.compat), so the stack drops it here.
            kwargs = {**kwargs, "past_key_values": None}
        all_hidden: list[torch.Tensor] = [hidden_states] if output_hidden_states else []
        self_attentions: list[Any] = []
        cross_attentions: list[Any] = []
        for depth in range(self.num_layers):
            layer = self.layers[self.layer_for_depth[depth]]
            if only_at is not None and depth == self.num_layers - 1:
                counts = only_at.sum(dim=1)  # (b,)
                # Selected positions first, in order (a stable sort of "not selected"), then filler.
                positions = torch.sort(~only_at, dim=1, stable=True).indices[:, : int(counts.max())]  # (b, q)
                kwargs = {**kwargs, "query_positions": positions}
            # Positional arguments: reentrant activation checkpointing only propagates gradients
            # through tensors passed positionally (a keyword tensor's graph, such as T5's position
            # bias, would be walked once per layer's recompute, and freed after the first).
            hidden_states, self_weights, cross_weights = layer(
                hidden_states,
                attention_mask,
                encoder_hidden_states,
                encoder_attention_mask,
                position_bias,
                **kwargs,
            )
            if only_at is not None and depth == self.num_layers - 1:
                filled = torch.arange(positions.shape[1], device=counts.device) < counts[:, None]  # (b, q)
                hidden_states = hidden_states[filled]  # (n, D)
            if output_attentions:
                self_attentions.append(self_weights)
                cross_attentions.append(cross_weights)
            if output_hidden_states and depth < self.num_layers - 1:
                all_hidden.append(hidden_states)
        if self.final_norm is not None:
            hidden_states = self.final_norm(hidden_states)
        if output_hidden_states:
            all_hidden.append(hidden_states)
        return (
            hidden_states,
            tuple(all_hidden) if output_hidden_states else None,
            tuple(self_attentions) if output_attentions else None,
            tuple(cross_attentions) if output_attentions and encoder_hidden_states is not None else None,
        )
