"""Downstream heads on an encoder: pooler, sequence/pair classifier, token classifier, span QA.

BERT §4 (Fig. 4): sentence and sentence-pair tasks read the pooled [CLS] state (dense + tanh,
modeling.py:224-232); tagging reads every token; SQuAD learns a start vector S and an end vector E
and scores token i as S·T_i and E·T_i (§4.2) — here the two rows of one (2, H) linear map, which is
also transformers' `qa_outputs` layout. RoBERTa classifies from the <s> state with its own
dense + tanh head (fairseq RobertaClassificationHead) instead of the NSP-trained pooler.

Shapes: b batch, t length, H hidden, c classes.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ..layers.feed_forward import activation_function


def num_classes(config: Any) -> int:
    """``config.num_labels``, which transformers leaves None when ``id2label`` is unset."""
    if config.num_labels is None:
        raise ValueError("config.num_labels is None; set num_labels (or id2label) for a classification head")
    return int(config.num_labels)


class Pooler(nn.Module):
    """tanh(W h_[CLS] + b): (b, t, H) -> (b, H)."""

    def __init__(self, hidden_size: int) -> None:
        super().__init__()
        self.dense = nn.Linear(hidden_size, hidden_size)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.dense(hidden_states[:, 0]))  # (b, H)


class FirstTokenClassifier(nn.Module):
    """dropout -> dense -> activation -> dropout -> out_proj on the first token.

    RoBERTa's sentence head uses tanh (fairseq RobertaClassificationHead); ELECTRA's uses GELU
    (as transformers' ElectraClassificationHead, following the authors' code).
    """

    def __init__(self, hidden_size: int, num_labels: int, dropout: float, activation: str = "tanh") -> None:
        super().__init__()
        self.dense = nn.Linear(hidden_size, hidden_size)
        self.act = activation_function(activation)
        self.dropout = nn.Dropout(dropout)
        self.out_proj = nn.Linear(hidden_size, num_labels)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        x = self.dropout(hidden_states[:, 0])  # (b, H)
        x = self.dropout(self.act(self.dense(x)))
        return self.out_proj(x)  # (b, c)


class LinearClassifier(nn.Module):
    """dropout -> linear, on pooled states (b, H) or on every token (b, t, H)."""

    def __init__(self, hidden_size: int, num_labels: int, dropout: float) -> None:
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(hidden_size, num_labels)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.dropout(hidden_states))  # (..., c)


class SpanQAHead(nn.Module):
    """Start and end scores for every token: rows 0 and 1 of `qa_outputs` are BERT's S and E vectors."""

    def __init__(self, hidden_size: int) -> None:
        super().__init__()
        self.qa_outputs = nn.Linear(hidden_size, 2)

    def forward(self, hidden_states: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        start, end = self.qa_outputs(hidden_states).unbind(dim=-1)  # 2 x (b, t)
        return start.contiguous(), end.contiguous()


def last_token_states(hidden: torch.Tensor, attention_mask: torch.Tensor | None) -> torch.Tensor:
    """The state of each row's last real token, (b, t, H) -> (b, H): GPT-1's extract (_classify_) token.

    Works for right and left padding: the last position whose mask is 1.
    """
    if attention_mask is None:
        return hidden[:, -1]
    positions = torch.arange(hidden.shape[1], device=hidden.device)
    last = (attention_mask.bool() * positions).argmax(dim=-1)  # (b,)
    return hidden[torch.arange(hidden.shape[0], device=hidden.device), last]
