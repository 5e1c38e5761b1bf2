"""LSTM with a projected, clipped state (one direction), a stack with skip connections, and a length-aware reverse.

The cell is the LSTMP of Sak et al. 2014 ("Long Short-Term Memory Based Recurrent Neural Network
Architectures for Large Vocabulary Speech Recognition", §2.3) with the clipping ELMo uses
(Peters et al. 2018; bilm-tf bilm/model.py, AllenNLP allennlp/modules/lstm_cell_with_projection.py:208-231):

    i, f, g, o = σ(·), σ(·), tanh(·), σ(·)  of  W x_t + U h_{t-1} + b     (PyTorch gate order i, f, g, o)
    c_t = clip(i * g + f * c_{t-1}, ±cell_clip)
    h_t = clip(P (o * tanh c_t), ±proj_clip)

`nn.LSTM(proj_size=...)` has the projection but no clipping, so the cell is written out. Padding is
handled by masking, never by running past a row's end: a padded position leaves the state unchanged
and outputs zeros, so each row's result (and final state) is the same as the row run alone. The
backward direction reverses every row *within its length* (bilm-tf uses tf.reverse_sequence,
AllenNLP walks sorted rows backwards); a plain flip would feed the padding first.

Shapes: b batch, t length, I input width, C cell width, P projection (output) width, L layers.
"""

from __future__ import annotations

import torch
from torch import nn

LSTMState = tuple[torch.Tensor, torch.Tensor]
"""(h (b, P), c (b, C)) of one layer."""

FORGET_GATE_BIAS = 1.0
"""Jozefowicz et al. 2015; TF's LSTMCell adds it at run time (forget_bias=1.0), here it is stored."""


def reverse_padded(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Reverse each row of x (b, t, ...) within its first lengths[b] positions; padding stays in place.

    Its own inverse: reverse_padded(reverse_padded(x, n), n) == x.
    """
    steps = torch.arange(x.shape[1], device=x.device)  # (t,)
    lengths = lengths.to(x.device)[:, None]  # (b, 1)
    index = torch.where(steps < lengths, lengths - 1 - steps, steps)  # (b, t)
    index = index.reshape(*index.shape, *([1] * (x.dim() - 2))).expand_as(x)  # (b, t, ...)
    return x.gather(1, index)


class ProjectedLSTM(nn.Module):
    """One layer, one direction, over a whole sequence: (b, t, I) -> (b, t, P) and the final state.

    Args:
        input_size: I.
        cell_size: C, the memory width (4096 in the original ELMo).
        projection_size: P, the output/recurrent width (512 in the original ELMo).
        cell_clip: clip of the memory cell (3 in released ELMo models); None or 0 disables it.
        proj_clip: clip of the projected output; None or 0 disables it.
    """

    def __init__(
        self,
        input_size: int,
        cell_size: int,
        projection_size: int,
        cell_clip: float | None = None,
        proj_clip: float | None = None,
    ) -> None:
        super().__init__()
        self.cell_size, self.projection_size = cell_size, projection_size
        self.cell_clip, self.proj_clip = cell_clip or None, proj_clip or None
        # Separate input and recurrent maps (AllenNLP layout): the input map runs once over all steps.
        self.input_linear = nn.Linear(input_size, 4 * cell_size, bias=False)
        self.state_linear = nn.Linear(projection_size, 4 * cell_size, bias=True)
        self.projection = nn.Linear(cell_size, projection_size, bias=False)
        self.reset_forget_bias()

    def reset_forget_bias(self, value: float = FORGET_GATE_BIAS) -> None:
        with torch.no_grad():
            self.state_linear.bias.zero_()
            self.state_linear.bias[self.cell_size : 2 * self.cell_size] = value

    def forward(
        self, inputs: torch.Tensor, mask: torch.Tensor, state: LSTMState | None = None
    ) -> tuple[torch.Tensor, LSTMState]:
        """inputs (b, t, I), mask (b, t) with 1 on real positions -> outputs (b, t, P), final (h, c)."""
        batch, length = mask.shape
        if state is None:
            h = inputs.new_zeros(batch, self.projection_size)  # (b, P)
            c = inputs.new_zeros(batch, self.cell_size)  # (b, C)
        else:
            h, c = state
        keep = mask.bool()[..., None]  # (b, t, 1)
        projected_inputs = self.input_linear(inputs)  # (b, t, 4C)
        outputs = []
        for step in range(length):
            gates = projected_inputs[:, step] + self.state_linear(h)  # (b, 4C)
            i, f, g, o = gates.chunk(4, dim=-1)  # 4 x (b, C)
            new_c = torch.sigmoid(i) * torch.tanh(g) + torch.sigmoid(f) * c
            if self.cell_clip:
                new_c = new_c.clamp(-self.cell_clip, self.cell_clip)
            new_h = self.projection(torch.sigmoid(o) * torch.tanh(new_c))  # (b, P)
            if self.proj_clip:
                new_h = new_h.clamp(-self.proj_clip, self.proj_clip)
            real = keep[:, step]  # (b, 1)
            h, c = torch.where(real, new_h, h), torch.where(real, new_c, c)
            outputs.append(new_h * real)
        if not outputs:
            return inputs.new_zeros(batch, 0, self.projection_size), (h, c)
        return torch.stack(outputs, dim=1), (h, c)  # (b, t, P)


class LSTMStack(nn.Module):
    """L projected LSTM layers in one direction, with skip connections and dropout on each layer's input.

    Skip connections add a layer's input to its output for every layer but the first (bilm-tf
    model.py:530-538 wraps layers > 0 in a ResidualWrapper; AllenNLP elmo_lstm.py:233-236), so in
    the two-layer ELMo there is one, between layers 1 and 2, never from the token embedding.
    bilm-tf applies dropout to each layer's input during training (DropoutWrapper input_keep_prob).

    Args:
        num_layers: L.
        input_size: width of the stack's input (= projection_size whenever skip connections are used).
        cell_size, projection_size, cell_clip, proj_clip: see ProjectedLSTM.
        skip_connections: add the residual around layers 2..L.
        dropout: dropout probability on each layer's input while training.
        reverse: run right-to-left within each row's length (the backward LM).
    """

    def __init__(
        self,
        num_layers: int,
        input_size: int,
        cell_size: int,
        projection_size: int,
        *,
        cell_clip: float | None = None,
        proj_clip: float | None = None,
        skip_connections: bool = True,
        dropout: float = 0.0,
        reverse: bool = False,
    ) -> None:
        super().__init__()
        if num_layers < 1:
            raise ValueError(f"num_layers={num_layers}; expected >= 1")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout={dropout}; expected a probability in [0, 1)")
        self.skip_connections, self.reverse = skip_connections, reverse
        self.dropout = nn.Dropout(dropout)
        self.layers = nn.ModuleList(
            ProjectedLSTM(
                input_size if index == 0 else projection_size,
                cell_size,
                projection_size,
                cell_clip,
                proj_clip,
            )
            for index in range(num_layers)
        )

    def forward(
        self, inputs: torch.Tensor, mask: torch.Tensor, states: list[LSTMState] | None = None
    ) -> tuple[list[torch.Tensor], list[LSTMState]]:
        """inputs (b, t, I), mask (b, t) right-padded -> each layer's outputs (b, t, P), each final state.

        Outputs are in the input's (left-to-right) order for both directions.
        """
        if states is not None and len(states) != len(self.layers):
            raise ValueError(f"{len(states)} initial states for {len(self.layers)} layers")
        lengths = mask.long().sum(-1)  # (b,)
        x = reverse_padded(inputs, lengths) if self.reverse else inputs
        outputs, finals = [], []
        for index, layer in enumerate(self.layers):
            x = self.dropout(x)
            y, final = layer(x, mask, None if states is None else states[index])  # (b, t, P)
            if index > 0 and self.skip_connections:
                # bilm-tf wraps ResidualWrapper in DropoutWrapper: the residual is the dropped-out input.
                y = y + x
            outputs.append(reverse_padded(y, lengths) if self.reverse else y)
            finals.append(final)
            x = y
        return outputs, finals
