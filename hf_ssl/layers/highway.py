"""Highway layers (Srivastava et al. 2015, "Training Very Deep Networks", §2) as ELMo's char encoder uses them.

    y = T(x) * act(W_H x + b_H) + (1 - T(x)) * x,   T(x) = sigmoid(W_T x + b_T)

T is the paper's *transform* gate. bilm-tf (bilm/model.py:417-436) computes exactly this but names
the gate weights `W_carry`/`b_carry`, with b_carry initialised to -2 so a fresh layer mostly carries
its input. AllenNLP's `Highway` gates the input instead (`g * x + (1 - g) * f(x)`), which is why it
negates W_carry/b_carry when loading (allennlp/modules/elmo.py:449-478). hf_ssl follows the paper
and bilm-tf, so bilm-tf weights load here unchanged (`gate` <- W_carry, b_carry).

Shapes: n positions (any leading dims), D width.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from .char_cnn import ACTIVATIONS

TRANSFORM_GATE_BIAS = -2.0
"""bilm-tf's initial b_carry (model.py:433-436): the gate starts mostly closed, the layer near identity."""


class Highway(nn.Module):
    """A stack of highway layers of constant width: (..., D) -> (..., D).

    Args:
        dim: width D.
        num_layers: number of highway layers (1 for ELMo Small, 2 for the original model).
        activation: nonlinearity of the transform branch ("relu" in ELMo).
    """

    def __init__(self, dim: int, num_layers: int, activation: str = "relu") -> None:
        super().__init__()
        if num_layers < 0:
            raise ValueError(f"num_layers={num_layers}; expected >= 0")
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation={activation!r}; expected one of {sorted(ACTIVATIONS)}")
        self.activation: Callable[[torch.Tensor], torch.Tensor] = ACTIVATIONS[activation]
        self.transforms = nn.ModuleList(nn.Linear(dim, dim) for _ in range(num_layers))
        self.gates = nn.ModuleList(nn.Linear(dim, dim) for _ in range(num_layers))
        self.reset_gate_biases()

    def reset_gate_biases(self, value: float = TRANSFORM_GATE_BIAS) -> None:
        with torch.no_grad():
            for gate in self.gates:
                assert isinstance(gate, nn.Linear)
                gate.bias.fill_(value)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for transform, gate in zip(self.transforms, self.gates, strict=True):
            t = torch.sigmoid(gate(x))
            x = t * self.activation(transform(x)) + (1 - t) * x
        return x
