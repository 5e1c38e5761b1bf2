"""Character CNN word encoder: character embedding, one convolution per width, max-pool, activation.

Kim et al. 2016 ("Character-Aware Neural Language Models", §2.2) as used by ELMo (Peters et al. 2018,
§3.4): each word is a row of character ids; every filter width runs a valid convolution over the
characters, the result is max-pooled over character positions and only then passed through the
activation (bilm-tf bilm/model.py:373-383, AllenNLP allennlp/modules/elmo.py `_ElmoCharacterEncoder`).
The per-width outputs are concatenated. Highway layers and the projection follow in the model.

Shapes: n words (any leading dims), c characters per word, d character embedding, F total filters.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn

ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {"relu": torch.relu, "tanh": torch.tanh}
"""The activations bilm-tf's options.json allows for the char CNN."""


def validate_filters(filters: Sequence[Sequence[int]]) -> list[tuple[int, int]]:
    """[[width, count], ...] with positive ints -> list of (width, count) tuples."""
    checked = []
    for entry in filters:
        if len(entry) != 2 or not all(
            isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in entry
        ):
            raise ValueError(f"filter {entry!r}; expected [width, count] with positive ints")
        checked.append((int(entry[0]), int(entry[1])))
    if not checked:
        raise ValueError("filters is empty; expected at least one [width, count]")
    return checked


class CharacterCNN(nn.Module):
    """char ids (..., c) -> word vectors (..., F): embed, convolve per width, max over c, activation.

    Args:
        num_characters: rows of the character table (262 for ELMo: 261 ids shifted by one, 0 = padding).
        embedding_dim: width d of a character vector (16 in the released ELMo models).
        filters: (width, count) per convolution; F = sum of the counts.
        activation: "relu" (released ELMo models) or "tanh".
        padding_idx: character id that never receives gradient (ELMo's 0, the masked character).
    """

    def __init__(
        self,
        num_characters: int,
        embedding_dim: int,
        filters: Sequence[Sequence[int]],
        activation: str = "relu",
        padding_idx: int | None = 0,
    ) -> None:
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation={activation!r}; expected one of {sorted(ACTIVATIONS)}")
        self.filters = validate_filters(filters)
        self.activation: Callable[[torch.Tensor], torch.Tensor] = ACTIVATIONS[activation]
        self.embedding = nn.Embedding(num_characters, embedding_dim, padding_idx=padding_idx)
        self.convolutions = nn.ModuleList(
            nn.Conv1d(embedding_dim, count, kernel_size=width) for width, count in self.filters
        )
        self.output_dim = sum(count for _, count in self.filters)
        self.max_width = max(width for width, _ in self.filters)

    def forward(self, char_ids: torch.Tensor) -> torch.Tensor:
        if char_ids.shape[-1] < self.max_width:
            raise ValueError(
                f"{char_ids.shape[-1]} characters per word; the widest filter needs >= {self.max_width}"
            )
        leading = char_ids.shape[:-1]
        chars = self.embedding(char_ids.reshape(-1, char_ids.shape[-1]))  # (n, c, d)
        chars = chars.transpose(1, 2)  # (n, d, c): Conv1d convolves the last dim
        # Pool first, then activate, as bilm-tf: both activations are monotone, so the values equal
        # activate-then-pool, at 1/c of the activation cost.
        pooled = [self.activation(conv(chars).amax(dim=-1)) for conv in self.convolutions]  # each (n, count)
        return torch.cat(pooled, dim=-1).reshape(*leading, self.output_dim)  # (..., F)
