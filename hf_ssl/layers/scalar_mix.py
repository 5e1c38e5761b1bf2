"""Scalar mix of layers: ELMo_k = γ Σ_j softmax(w)_j h_j (Peters et al. 2018, Eq. 1).

w starts at 0 and γ at 1, so a fresh mix is the mean of the layers (bilm-tf bilm/elmo.py:68-109,
AllenNLP allennlp/modules/scalar_mix.py). With `do_layer_norm` every layer is first normalised by
the mean and variance of its *unmasked elements over the whole batch* (bilm-tf `_do_ln`, AllenNLP
`_do_layer_norm`, eps 1e-12): one mean and one variance per layer and batch, not per token. That is
the reference's definition; it makes a row's output depend on the other rows of its batch.
`l2_penalty()` is Σ w_j², which the paper adds with weight λ (λ = 1 vs 0.001 compared in §5.2).

Shapes: b batch, t length, D width, K layers.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

LAYER_NORM_EPS = 1e-12
"""bilm-tf and AllenNLP's epsilon for the masked layer norm."""


class ScalarMix(nn.Module):
    """K tensors (b, t, D) -> γ Σ_j softmax(w)_j norm(h_j), (b, t, D).

    Args:
        num_layers: K.
        do_layer_norm: normalise each layer over its unmasked elements first (needs a mask).
        initial_weights: K pre-softmax weights (default zeros: the mean of the layers).
        trainable: learn w and γ (AllenNLP freezes them when fixed weights are given).
    """

    def __init__(
        self,
        num_layers: int,
        do_layer_norm: bool = False,
        initial_weights: Sequence[float] | None = None,
        trainable: bool = True,
    ) -> None:
        super().__init__()
        if num_layers < 1:
            raise ValueError(f"num_layers={num_layers}; expected >= 1")
        weights = [0.0] * num_layers if initial_weights is None else [float(w) for w in initial_weights]
        if len(weights) != num_layers:
            raise ValueError(f"{len(weights)} initial_weights for num_layers={num_layers}")
        self.num_layers, self.do_layer_norm = num_layers, do_layer_norm
        self.weights = nn.Parameter(torch.tensor(weights), requires_grad=trainable)  # (K,)
        self.gamma = nn.Parameter(torch.tensor(1.0), requires_grad=trainable)

    def normalized_weights(self) -> torch.Tensor:
        return torch.softmax(self.weights, dim=0)  # (K,)

    def l2_penalty(self) -> torch.Tensor:
        return self.weights.pow(2).sum()

    def forward(self, layers: Sequence[torch.Tensor], mask: torch.Tensor | None = None) -> torch.Tensor:
        if len(layers) != self.num_layers:
            raise ValueError(f"{len(layers)} layers given; this mix was built for {self.num_layers}")
        if self.do_layer_norm and mask is None:
            raise ValueError("do_layer_norm needs the mask (b, t) of real positions")
        weights = self.normalized_weights()
        mixed = torch.zeros_like(layers[0])
        for weight, layer in zip(weights, layers, strict=True):
            mixed = mixed + weight * (self._normalize(layer, mask) if self.do_layer_norm else layer)
        return self.gamma * mixed  # (b, t, D)

    @staticmethod
    def _normalize(layer: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        assert mask is not None
        keep = mask.to(layer.dtype)[..., None]  # (b, t, 1)
        count = keep.sum() * layer.shape[-1]
        mean = (layer * keep).sum() / count
        variance = (((layer * keep - mean) * keep) ** 2).sum() / count
        return (layer - mean) / torch.sqrt(variance + LAYER_NORM_EPS)
