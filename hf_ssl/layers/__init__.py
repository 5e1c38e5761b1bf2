"""Shared building blocks with plain typed arguments (no config objects)."""

from .attention import MultiHeadAttention, eager_attention
from .embeddings import TokenEmbeddings, positions_after_padding
from .feed_forward import FeedForward, activation_function
from .masks import bidirectional_mask, causal_mask, sequence_ids_from_position_ids
from .transformer import TransformerLayer, TransformerStack, make_norm

__all__ = [
    "FeedForward",
    "MultiHeadAttention",
    "TokenEmbeddings",
    "TransformerLayer",
    "TransformerStack",
    "activation_function",
    "bidirectional_mask",
    "causal_mask",
    "eager_attention",
    "make_norm",
    "positions_after_padding",
    "sequence_ids_from_position_ids",
]
