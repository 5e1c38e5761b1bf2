"""Replaced-token detection head and loss (Clark et al. 2020, ELECTRA §2).

The discriminator scores every token: dense (H -> H) -> activation -> dense (H -> 1), no LayerNorm
(google-research/electra run_pretraining.py:186-193). The loss is a sigmoid cross-entropy over every
real token, [CLS] and [SEP] included (:203-209); label 1 = replaced.

Shapes: b batch, t length, H hidden.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from ..constants import IGNORE_INDEX
from ..layers.feed_forward import activation_function
from .losses import check_label_shape


class ReplacedTokenHead(nn.Module):
    """(b, t, H) -> (b, t) logits that each token was replaced."""

    def __init__(self, hidden_size: int, activation: str = "gelu") -> None:
        super().__init__()
        self.dense = nn.Linear(hidden_size, hidden_size)
        self.act = activation_function(activation)
        self.prediction = nn.Linear(hidden_size, 1)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        return self.prediction(self.act(self.dense(hidden_states))).squeeze(-1)  # (b, t)


def replaced_token_loss(
    logits: torch.Tensor, labels: torch.Tensor, num_items_in_batch: Any = None
) -> torch.Tensor:
    """Sigmoid cross-entropy over positions whose label is 0 or 1 (IGNORE_INDEX skipped)."""
    check_label_shape(labels, logits.shape)
    valid = labels.ne(IGNORE_INDEX)  # (b, t)
    total = F.binary_cross_entropy_with_logits(logits[valid].float(), labels[valid].float(), reduction="sum")
    if num_items_in_batch is not None:
        return total / num_items_in_batch
    return total / valid.sum().clamp(min=1)


def gumbel_max_sample(logits: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
    """One token per row of (n, V) logits: argmax(logits / T + Gumbel noise), ELECTRA's sampler.

    google-research/electra pretrain_helpers.py:222-229 (the 1e-9 guards included). A hard sample:
    no gradient flows through it.
    """
    uniform = torch.rand_like(logits, dtype=torch.float32)
    gumbel = -torch.log(-torch.log(uniform + 1e-9) + 1e-9)
    return (logits.float() / temperature + gumbel).argmax(dim=-1)  # (n,)
