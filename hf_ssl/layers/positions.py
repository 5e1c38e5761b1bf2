"""Relative position bias in logarithmic buckets (T5).

Raffel et al. 2020 §2.1 ("Each 'embedding' is simply a scalar that is added to the corresponding
logit ... we use 32 embeddings ... for all of our models with ranges that increase in size
logarithmically up to an offset of 128"); reference code mesh_tensorflow
transformer/transformer_layers.py `_relative_position_bucket`, transformers models/t5/modeling_t5.py
`T5Attention._relative_position_bucket` / `compute_bias`.

One table of (buckets x heads) scalars per stack: T5 computes the bias in the first layer and every
later layer reuses it, so the model computes it once and passes it to all layers. The encoder's
buckets are bidirectional (half for keys before the query, half after); the decoder's are
unidirectional (keys after the query cannot be seen, so every bucket is spent on the past).

Shapes: h heads, t query length, s key length (cached + new).
"""

from __future__ import annotations

import math

import torch
from torch import nn

DEFAULT_NUM_BUCKETS = 32
DEFAULT_MAX_DISTANCE = 128


def relative_position_bucket(
    relative_position: torch.Tensor,
    *,
    bidirectional: bool,
    num_buckets: int = DEFAULT_NUM_BUCKETS,
    max_distance: int = DEFAULT_MAX_DISTANCE,
) -> torch.Tensor:
    """Bucket of each relative position (key position - query position), same shape, values in [0, num_buckets).

    Half of the buckets (of each direction) hold exact distances 0..n/2-1; the rest cover distances
    up to `max_distance` in logarithmically growing bins, and everything farther shares the last bin.
    Unidirectional: positive (future) offsets all fall into bucket 0, like offset 0.
    """
    buckets = torch.zeros_like(relative_position)
    if bidirectional:
        num_buckets //= 2
        buckets = buckets + (relative_position > 0).long() * num_buckets
        distance = relative_position.abs()
    else:
        distance = (-relative_position).clamp(min=0)
    max_exact = num_buckets // 2
    is_small = distance < max_exact
    # float() of 0 gives log(0) = -inf in the unused branch; torch.where discards it.
    log_ratio = torch.log(distance.float() / max_exact) / math.log(max_distance / max_exact)
    large = max_exact + (log_ratio * (num_buckets - max_exact)).long()
    large = large.clamp(max=num_buckets - 1)
    return buckets + torch.where(is_small, distance, large)


class RelativePositionBias(nn.Module):
    """A learned scalar per (bucket, head), looked up for every (query, key) pair: (1, h, t, s).

    Args:
        num_heads: h.
        bidirectional: True for encoder self-attention, False for decoder self-attention.
        num_buckets, max_distance: 32 and 128 in every published T5 and Switch model.
    """

    def __init__(
        self,
        num_heads: int,
        *,
        bidirectional: bool,
        num_buckets: int = DEFAULT_NUM_BUCKETS,
        max_distance: int = DEFAULT_MAX_DISTANCE,
    ) -> None:
        super().__init__()
        if num_buckets < 2 or (bidirectional and num_buckets < 4):
            raise ValueError(
                f"num_buckets={num_buckets}; expected >= {4 if bidirectional else 2} "
                "(half exact, half logarithmic, per direction)"
            )
        if max_distance <= num_buckets // (4 if bidirectional else 2):
            raise ValueError(f"max_distance={max_distance}; expected more than the exact-distance buckets")
        self.bidirectional = bidirectional
        self.num_buckets = num_buckets
        self.max_distance = max_distance
        self.embedding = nn.Embedding(num_buckets, num_heads)

    def forward(self, query_length: int, key_length: int, past_length: int = 0) -> torch.Tensor:
        """Bias for queries at positions past_length .. past_length + t - 1 over keys 0 .. s - 1."""
        device = self.embedding.weight.device
        query = torch.arange(query_length, device=device)[:, None] + past_length  # (t, 1)
        key = torch.arange(key_length, device=device)[None, :]  # (1, s)
        buckets = relative_position_bucket(
            key - query,
            bidirectional=self.bidirectional,
            num_buckets=self.num_buckets,
            max_distance=self.max_distance,
        )  # (t, s)
        return self.embedding(buckets).permute(2, 0, 1).unsqueeze(0)  # (1, h, t, s)
