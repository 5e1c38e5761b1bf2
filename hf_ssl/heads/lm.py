"""Masked-LM head: dense -> activation -> LayerNorm -> tied vocabulary projection + output bias.

BERT run_pretraining.py:245-264 (the head is H->H transform then the tied input embedding plus a
per-token output bias); ALBERT maps H->E before the tied E x V table (run_pretraining.py:294-320).

Sparse prediction (Cramming, Geiping & Goldstein 2022): in training, with
labels, only the labelled (masked) positions go through the vocabulary projection, which is most of
a small model's compute. In eval mode the head returns full logits aligned with the input, so
fill-mask, evaluation and compute_metrics see the usual (b, t, V) shape. The MLM models go one step
further in training: the encoder's last layer itself runs only at the labelled positions
(`BertModel(only_at=...)`), and `predict` maps those (n, H) states to logits.

Shapes: b batch, t length, n labelled positions, H hidden, E embedding width, V vocabulary.
"""

from __future__ import annotations

import torch
from torch import nn

from ..layers.feed_forward import activation_function
from .losses import select_labelled


class MaskedLMHead(nn.Module):
    """transform (H -> E) then `decoder` (E -> V, weight tied to the word embeddings, own bias)."""

    def __init__(
        self,
        hidden_size: int,
        vocab_size: int,
        *,
        embedding_size: int | None = None,
        activation: str = "gelu",
        norm_eps: float = 1e-12,
    ) -> None:
        super().__init__()
        embedding_size = embedding_size or hidden_size
        self.dense = nn.Linear(hidden_size, embedding_size)
        self.act = activation_function(activation)
        self.norm = nn.LayerNorm(embedding_size, eps=norm_eps)
        self.decoder = nn.Linear(embedding_size, vocab_size)

    def forward(
        self, hidden_states: torch.Tensor, labels: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(b, t, H) -> logits and the labels they align with.

        Training with labels: logits (n, V) at the n labelled positions and their labels (n,).
        Otherwise: logits (b, t, V) and `labels` unchanged.
        """
        if labels is not None:
            hidden_states, labels = select_labelled(hidden_states, labels, self.training)  # (n, H), (n,)
        return self.predict(hidden_states), labels  # (..., V)

    def predict(self, hidden_states: torch.Tensor) -> torch.Tensor:
        """(..., H) -> logits (..., V): transform, then the tied vocabulary projection."""
        return self.decoder(self.norm(self.act(self.dense(hidden_states))))
