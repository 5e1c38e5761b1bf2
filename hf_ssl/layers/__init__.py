"""Shared building blocks with plain typed arguments (no config objects)."""

from .attention import MultiHeadAttention, eager_attention
from .embeddings import TokenEmbeddings, positions_after_padding
from .feed_forward import FeedForward, activation_function
from .masks import bidirectional_mask, causal_mask, sequence_ids_from_position_ids
from .moe import SwitchFeedForward, Top1Router, load_balancing_loss, router_z_loss
from .positions import RelativePositionBias, relative_position_bucket
from .split_projections import SplitQKVProjection, fuse_qkv_projections, split_qkv_projections
from .transformer import TransformerLayer, TransformerStack, make_norm

__all__ = [
    "FeedForward",
    "MultiHeadAttention",
    "RelativePositionBias",
    "SplitQKVProjection",
    "SwitchFeedForward",
    "TokenEmbeddings",
    "Top1Router",
    "TransformerLayer",
    "TransformerStack",
    "activation_function",
    "bidirectional_mask",
    "causal_mask",
    "eager_attention",
    "fuse_qkv_projections",
    "load_balancing_loss",
    "make_norm",
    "positions_after_padding",
    "relative_position_bucket",
    "router_z_loss",
    "sequence_ids_from_position_ids",
    "split_qkv_projections",
]
