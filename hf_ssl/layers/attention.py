"""Multi-head attention that dispatches through transformers' attention interface.

Vaswani et al. 2017, §3.2. The score kernel is looked up in `ALL_ATTENTION_FUNCTIONS`, so
`attn_implementation="eager" | "sdpa" | "flex_attention"` all run the same module; the caller
passes the implementation name at call time (the model reads it from its config), which keeps this
layer free of config objects and lets `model.set_attn_implementation` take effect at once.

Self-attention projects queries, keys and values with one fused (3·H, D) matrix: one GEMM instead of
three is measurably faster on CPU. Cross-attention fuses keys and values of the memory instead.

Shapes: b batch, t query length, s key length, h heads, d head size, D model width.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from transformers.cache_utils import Cache, EncoderDecoderCache
from transformers.modeling_utils import ALL_ATTENTION_FUNCTIONS

from .split_projections import SplitQKVProjection


def eager_attention(
    module: nn.Module,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: torch.Tensor | None,
    scaling: float,
    dropout: float = 0.0,
    position_bias: torch.Tensor | None = None,
    **kwargs: Any,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Reference kernel: softmax(q k^T · scaling + bias + mask) v, returning (b, t, h, d) and the weights.

    `position_bias` (1 or b, h, t, s) is an additive score bias (T5's relative positions).
    """
    scores = torch.matmul(query, key.transpose(2, 3)) * scaling  # (b, h, t, s)
    if position_bias is not None:
        scores = scores + position_bias
    if attention_mask is not None:
        if attention_mask.dtype == torch.bool:
            scores = scores.masked_fill(~attention_mask, torch.finfo(scores.dtype).min)
        else:
            scores = scores + attention_mask
    weights = nn.functional.softmax(scores, dim=-1)
    weights = nn.functional.dropout(weights, p=dropout, training=module.training)
    output = torch.matmul(weights, value).transpose(1, 2).contiguous()  # (b, t, h, d)
    return output, weights


class MultiHeadAttention(nn.Module):
    """Scaled dot-product attention over h heads, self- or cross-attention.

    Args:
        hidden_size: model width D of the queries (and of the output).
        num_heads: number of heads h; `hidden_size` must be divisible by it unless `head_dim` is given.
        head_dim: size d of each head (default D / h).
        bias: whether the projections have biases (BERT/GPT: yes; T5: no).
        dropout: dropout on the attention weights.
        is_causal: decoders attend only to the past. Encoders must say False: the sdpa kernel reads
            this attribute when no mask is materialised.
        is_cross_attention: keys and values come from `key_value_states` (encoder memory).
        memory_size: width of the memory for cross-attention (default `hidden_size`).
        scaling: score scale (default d^-0.5; T5 folds it into the initialisation and uses 1.0).
        layer_idx: index into a KV cache.
    """

    def __init__(
        self,
        hidden_size: int,
        num_heads: int,
        *,
        head_dim: int | None = None,
        bias: bool = True,
        dropout: float = 0.0,
        is_causal: bool = False,
        is_cross_attention: bool = False,
        memory_size: int | None = None,
        scaling: float | None = None,
        layer_idx: int | None = None,
    ) -> None:
        super().__init__()
        if head_dim is None:
            if hidden_size % num_heads != 0:
                raise ValueError(
                    f"hidden_size={hidden_size} must be divisible by num_heads={num_heads} "
                    "(or give head_dim explicitly)"
                )
            head_dim = hidden_size // num_heads
        self.num_heads = num_heads
        self.head_dim = head_dim
        self.inner_size = num_heads * head_dim
        self.scaling = head_dim**-0.5 if scaling is None else scaling
        self.dropout = dropout
        self.is_causal = is_causal
        self.is_cross_attention = is_cross_attention
        self.layer_idx = layer_idx
        if is_cross_attention:
            self.q_proj = nn.Linear(hidden_size, self.inner_size, bias=bias)
            self.kv_proj = nn.Linear(memory_size or hidden_size, 2 * self.inner_size, bias=bias)
        else:
            # One GEMM for q, k and v; split_qkv_projections swaps in three linears for adapters.
            self.qkv_proj: nn.Linear | SplitQKVProjection = nn.Linear(
                hidden_size, 3 * self.inner_size, bias=bias
            )
        self.o_proj = nn.Linear(self.inner_size, hidden_size, bias=bias)

    def _cache_index(self) -> int:
        if self.layer_idx is None:
            raise ValueError("this attention layer was built without layer_idx, so it cannot use a KV cache")
        return self.layer_idx

    def _split_heads(self, x: torch.Tensor) -> torch.Tensor:
        return x.view(*x.shape[:-1], -1, self.head_dim).transpose(1, 2)  # (b, h, t, d)

    def forward(
        self,
        hidden_states: torch.Tensor,
        attention_mask: torch.Tensor | Any | None = None,
        *,
        attn_implementation: str = "sdpa",
        key_value_states: torch.Tensor | None = None,
        past_key_values: Cache | None = None,
        position_bias: torch.Tensor | None = None,
        query_states: torch.Tensor | None = None,
        **kwargs: Any,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """hidden_states (b, t, D) -> (output (b, t, D), attention weights (b, h, t, s) or None).

        `query_states` (b, q, D), self-attention only: queries come from these instead of
        `hidden_states`, which still give every key and value; the output is then (b, q, D) and the
        mask must have q query rows (see TransformerLayer's `query_positions`).
        """
        if query_states is not None:
            if self.is_cross_attention or past_key_values is not None:
                raise ValueError("query_states is for self-attention without a cache")
            if isinstance(self.qkv_proj, nn.Linear):
                weight, bias = self.qkv_proj.weight, self.qkv_proj.bias  # (3·h·d, D): queries first
                inner = self.inner_size
                query = nn.functional.linear(
                    query_states, weight[:inner], None if bias is None else bias[:inner]
                )
                key, value = nn.functional.linear(
                    hidden_states, weight[inner:], None if bias is None else bias[inner:]
                ).chunk(2, dim=-1)  # 2 x (b, t, h·d)
            else:  # split q/k/v (split_projections), each possibly wrapped by an adapter
                query = self.qkv_proj.q_proj(query_states)  # (b, q, h·d)
                key, value = self.qkv_proj.k_proj(hidden_states), self.qkv_proj.v_proj(hidden_states)
            query, key, value = self._split_heads(query), self._split_heads(key), self._split_heads(value)
        elif self.is_cross_attention:
            if key_value_states is None:
                raise ValueError("cross-attention needs key_value_states (the encoder's hidden states)")
            query = self._split_heads(self.q_proj(hidden_states))  # (b, h, t, d)
            cross = past_key_values if isinstance(past_key_values, EncoderDecoderCache) else None
            if cross is not None and cross.is_updated.get(self._cache_index(), False):
                # An attention cache layer (the union also names linear-attention layers, never used here).
                layer: Any = cross.cross_attention_cache.layers[self._cache_index()]
                key, value = layer.keys, layer.values
            else:
                key, value = self.kv_proj(key_value_states).chunk(2, dim=-1)  # 2 x (b, s, h·d)
                key, value = self._split_heads(key), self._split_heads(value)  # (b, h, s, d)
                if cross is not None:
                    key, value = cross.cross_attention_cache.update(key, value, self._cache_index())
                    cross.is_updated[self._cache_index()] = True
        else:
            query, key, value = self.qkv_proj(hidden_states).chunk(3, dim=-1)  # 3 x (b, t, h·d)
            query, key, value = self._split_heads(query), self._split_heads(key), self._split_heads(value)
            if past_key_values is not None:
                cache = (
                    past_key_values.self_attention_cache
                    if isinstance(past_key_values, EncoderDecoderCache)
                    else past_key_values
                )
                key, value = cache.update(key, value, self._cache_index())  # (b, h, s, d)

        if position_bias is not None:
            # Relative position bias (T5) goes to the kernel, not onto the mask: the mask may be boolean
            # or None (sdpa then builds the causal part itself), and transformers' sdpa kernel combines
            # the two correctly in each case. flex_attention ignores it: T5-style models disable flex.
            kwargs["position_bias"] = position_bias

        attention = ALL_ATTENTION_FUNCTIONS.get_interface(attn_implementation, eager_attention)
        output, weights = attention(
            self,
            query,
            key,
            value,
            attention_mask,
            dropout=self.dropout if self.training else 0.0,
            scaling=self.scaling,
            is_causal=self.is_causal,
            **kwargs,
        )  # (b, t, h, d)
        output = self.o_proj(output.reshape(*output.shape[:2], self.inner_size))  # (b, t, D)
        return output, weights
