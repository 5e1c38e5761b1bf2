"""Queries, keys and values as three linears, for adapters that target them one by one.

Self-attention projects q, k and v with one fused (3·H, D) linear (`MultiHeadAttention.qkv_proj`):
one GEMM, and the checkpoint layout of every hf_ssl model. LoRA's paper adapts W_q and W_v only,
which a fused matrix cannot offer: `split_qkv_projections(model)` replaces every fused projection
with a `SplitQKVProjection` holding `q_proj`, `k_proj` and `v_proj`, equal in output; PEFT's
`LoraConfig(target_modules=["q_proj", "v_proj"])` then finds them. The split module reads and writes
its weights under the fused names (`qkv_proj.weight`, `qkv_proj.bias`), so `save_pretrained` writes
the usual checkpoint, loadable by any hf_ssl model; `fuse_qkv_projections(model)` restores the single
GEMM (after `merge_and_unload`).

Shapes: b batch, t length, D model width, H = heads · head size.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

ROLES = ("q_proj", "k_proj", "v_proj")


class SplitQKVProjection(nn.Module):
    """Three (H, D) linears that compute what one fused (3·H, D) linear does: (b, t, D) -> (b, t, 3·H)."""

    def __init__(self, fused: nn.Linear) -> None:
        super().__init__()
        inner = fused.out_features // 3
        has_bias = fused.bias is not None
        for index, role in enumerate(ROLES):
            linear = nn.Linear(
                fused.in_features, inner, bias=has_bias, device=fused.weight.device, dtype=fused.weight.dtype
            )
            with torch.no_grad():
                linear.weight.copy_(fused.weight[index * inner : (index + 1) * inner])
                if has_bias:
                    linear.bias.copy_(fused.bias[index * inner : (index + 1) * inner])
            setattr(self, role, linear)
        self.in_features, self.out_features = fused.in_features, fused.out_features
        self._register_state_dict_hook(_fused_state)
        self._register_load_state_dict_pre_hook(_split_state, with_module=True)

    q_proj: nn.Module
    k_proj: nn.Module
    v_proj: nn.Module

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        return torch.cat(
            [self.q_proj(hidden_states), self.k_proj(hidden_states), self.v_proj(hidden_states)], dim=-1
        )

    def fused(self) -> nn.Linear:
        """The equivalent single linear; refused while an adapter wraps a part (merge it first)."""
        parts = [getattr(self, role) for role in ROLES]
        if not all(type(part) is nn.Linear for part in parts):
            kinds = sorted({type(part).__name__ for part in parts} - {"Linear"})
            raise ValueError(
                f"q/k/v are wrapped ({kinds}); merge the adapters (merge_and_unload) before fusing"
            )
        first = parts[0]
        fused = nn.Linear(
            self.in_features,
            self.out_features,
            bias=first.bias is not None,
            device=first.weight.device,
            dtype=first.weight.dtype,
        )
        with torch.no_grad():
            fused.weight.copy_(torch.cat([part.weight for part in parts]))
            if fused.bias is not None:
                fused.bias.copy_(torch.cat([part.bias for part in parts]))
        return fused


def _fused_state(module: nn.Module, state: dict[str, Any], prefix: str, local_metadata: Any) -> None:
    """state_dict hook: q/k/v weights written as the fused `weight` (and `bias`) a checkpoint holds.
    Parts wrapped by an adapter keep their own keys (PEFT saves those itself)."""
    for name in ("weight", "bias"):
        keys = [f"{prefix}{role}.{name}" for role in ROLES]
        if all(key in state for key in keys):
            state[f"{prefix}{name}"] = torch.cat([state.pop(key) for key in keys])


def _split_state(module: SplitQKVProjection, state: Mapping[str, Any], prefix: str, *args: Any) -> None:
    """load_state_dict pre-hook: a fused `weight` (and `bias`) split into the three parts."""
    assert isinstance(state, dict)
    for name in ("weight", "bias"):
        fused = state.pop(f"{prefix}{name}", None)
        if fused is not None:
            for role, part in zip(ROLES, fused.chunk(3), strict=True):
                state[f"{prefix}{role}.{name}"] = part


def split_qkv_projections(model: nn.Module) -> nn.Module:
    """Give every self-attention of `model` separate q/k/v linears (in place; returns `model`).

    Self-attentions are the modules holding a fused `qkv_proj` (MultiHeadAttention, which imports
    this module)."""
    split = 0
    for module in model.modules():
        projection = getattr(module, "qkv_proj", None)
        if type(projection) is nn.Linear:
            module.qkv_proj = SplitQKVProjection(projection)
            split += 1
    if not split:
        raise ValueError(f"{type(model).__name__} has no fused q/k/v projection to split")
    return model


def fuse_qkv_projections(model: nn.Module) -> nn.Module:
    """Undo `split_qkv_projections`: one fused linear per self-attention again (in place)."""
    for module in model.modules():
        projection = getattr(module, "qkv_proj", None)
        if isinstance(projection, SplitQKVProjection):
            module.qkv_proj = projection.fused()
    return model


__all__ = ["SplitQKVProjection", "fuse_qkv_projections", "split_qkv_projections"]
