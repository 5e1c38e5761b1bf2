"""Input embeddings: word + learned position + optional segment, LayerNorm, dropout, optional E->H.

BERT (Devlin et al. 2019, §3 Fig. 2) sums token, segment and position embeddings. RoBERTa drops
segments (type_vocab_size 1) and inherits fairseq's positions, which start at padding_idx + 1.
ALBERT (Lan et al. 2020, §3.1) factorizes the embedding: the table has width E, projected to the
hidden width H by one linear map (`embedding_size` != `hidden_size`).

Shapes: b batch, t length, E embedding width, H hidden width.
"""

from __future__ import annotations

import torch
from torch import nn


def as_embedding(value: nn.Module) -> nn.Embedding:
    """``value`` when it is an ``nn.Embedding`` (what ``set_input_embeddings`` can take), else TypeError."""
    if not isinstance(value, nn.Embedding):
        raise TypeError(f"input embeddings must be an nn.Embedding, got {type(value).__name__}")
    return value


class ScaledEmbedding(nn.Embedding):
    """An embedding table whose looked-up vectors are multiplied by `scale` (mBART/MASS's sqrt(D)).

    The scale lives in the table, as in transformers' BartScaledWordEmbedding, so
    `model(inputs_embeds=model.get_input_embeddings()(ids))` equals `model(input_ids=ids)`.
    """

    def __init__(
        self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None, scale: float = 1.0
    ):
        super().__init__(num_embeddings, embedding_dim, padding_idx=padding_idx)
        self.scale = scale

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        return super().forward(input_ids) * self.scale  # (..., D)


def resized(table: torch.Tensor, size: int, dim: int = 0) -> torch.Tensor:
    """`table` with `size` entries along `dim`: the first ones kept, new ones zero (a per-id table
    resized with its vocabulary)."""
    shape = list(table.shape)
    shape[dim] = size
    grown = table.new_zeros(shape)
    kept = min(size, table.shape[dim])
    grown.narrow(dim, 0, kept).copy_(table.narrow(dim, 0, kept))
    return grown


def positions_after_padding(input_ids: torch.Tensor, padding_idx: int, past_length: int = 0) -> torch.Tensor:
    """fairseq/RoBERTa position ids: real tokens count up from padding_idx + 1, pads get padding_idx.

    input_ids (b, t) -> (b, t). Matches `create_position_ids_from_input_ids` in transformers' RoBERTa.
    """
    is_token = input_ids.ne(padding_idx).long()  # (b, t)
    return (torch.cumsum(is_token, dim=1) + past_length) * is_token + padding_idx


class TokenEmbeddings(nn.Module):
    """word + position (+ segment) embeddings -> LayerNorm -> dropout (-> E->H projection).

    Args:
        vocab_size: number of rows of the word table.
        embedding_size: width E of the tables.
        max_positions: rows of the position table.
        type_vocab_size: segment types; 0 disables segment embeddings.
        padding_idx: id of the padding token (its row gets no gradient, as in BERT).
        hidden_size: if given and different from E, a linear E->H follows (ALBERT, ELECTRA).
        always_project: keep the E->H linear even when E == H (transformers' ALBERT always has it).
        position_offset: "absolute" positions start at 0 (BERT); "after_padding" uses RoBERTa's
            fairseq scheme (start at padding_idx + 1, pads at padding_idx).
        layer_norm_eps: epsilon of the embedding LayerNorm (None: no LayerNorm, as GPT-2).
        dropout: dropout after the LayerNorm.
        word_scale: factor on looked-up word vectors (sqrt(D) for mBART's `scale_embedding`; 1.0 for
            BERT, GPT and BART), kept in the word table (a ScaledEmbedding). Like transformers,
            user-given `inputs_embeds` are not scaled again.
    """

    def __init__(
        self,
        vocab_size: int,
        embedding_size: int,
        max_positions: int,
        *,
        type_vocab_size: int = 2,
        padding_idx: int | None = 0,
        hidden_size: int | None = None,
        position_offset: str = "absolute",
        layer_norm_eps: float | None = 1e-12,
        dropout: float = 0.0,
        always_project: bool = False,
        word_scale: float = 1.0,
    ) -> None:
        super().__init__()
        if position_offset not in ("absolute", "after_padding"):
            raise ValueError(f"position_offset={position_offset!r}; expected 'absolute' or 'after_padding'")
        if position_offset == "after_padding" and padding_idx is None:
            raise ValueError("position_offset='after_padding' needs a padding_idx")
        self.position_offset = position_offset
        self.padding_idx = padding_idx
        self.word_embeddings: nn.Embedding = (
            ScaledEmbedding(vocab_size, embedding_size, padding_idx, word_scale)
            if word_scale != 1.0
            else nn.Embedding(vocab_size, embedding_size, padding_idx=padding_idx)
        )
        self.position_embeddings = nn.Embedding(max_positions, embedding_size)
        self.token_type_embeddings = (
            nn.Embedding(type_vocab_size, embedding_size) if type_vocab_size > 0 else None
        )
        self.norm = nn.LayerNorm(embedding_size, eps=layer_norm_eps) if layer_norm_eps is not None else None
        self.dropout = nn.Dropout(dropout)
        self.projection = (
            nn.Linear(embedding_size, hidden_size)
            if hidden_size is not None and (always_project or hidden_size != embedding_size)
            else None
        )

    def default_position_ids(
        self, input_ids: torch.Tensor | None, shape: torch.Size, device: torch.device, past_length: int = 0
    ) -> torch.Tensor:
        """Position ids (b, t) for inputs without explicit ones."""
        if self.position_offset == "after_padding":
            assert self.padding_idx is not None
            if input_ids is not None:
                return positions_after_padding(input_ids, self.padding_idx, past_length)
            # inputs_embeds carry no padding information: every position is a real token.
            start = self.padding_idx + 1 + past_length
            return torch.arange(start, start + shape[1], device=device).expand(shape)
        return torch.arange(past_length, past_length + shape[1], device=device).expand(shape)

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        *,
        token_type_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        past_length: int = 0,
    ) -> torch.Tensor:
        """input_ids (b, t) or inputs_embeds (b, t, E) -> (b, t, H)."""
        if inputs_embeds is None:
            inputs_embeds = self.word_embeddings(input_ids)  # (b, t, E)
        shape = inputs_embeds.shape[:2]
        if position_ids is None:
            position_ids = self.default_position_ids(input_ids, shape, inputs_embeds.device, past_length)
        embeddings = inputs_embeds
        if self.token_type_embeddings is not None:
            if token_type_ids is None:
                token_type_ids = torch.zeros(shape, dtype=torch.long, device=inputs_embeds.device)
            embeddings = embeddings + self.token_type_embeddings(token_type_ids)
        embeddings = embeddings + self.position_embeddings(position_ids)
        if self.norm is not None:
            embeddings = self.norm(embeddings)
        embeddings = self.dropout(embeddings)
        if self.projection is not None:
            embeddings = self.projection(embeddings)  # (b, t, H)
        return embeddings
