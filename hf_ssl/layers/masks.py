"""Attention masks: padding, causal, prefix-LM and packed (block-diagonal) rows.

Thin, typed wrappers over `transformers.masking_utils`, which returns the right object for each
attention backend (an additive float mask for eager, a bool mask or None for sdpa, a BlockMask for
flex). The `config` argument is only read for its attention implementation.

Packed rows (several documents in one row, positions restarting at 0) need a block-diagonal mask:
`create_bidirectional_mask` ignores position ids, so without one documents attend to each other. Prefix LM: Raffel et al. 2020 §3.2.1, fully visible over the prefix and
causal elsewhere.

Shapes: b batch, t length.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from transformers import PreTrainedConfig
from transformers.cache_utils import Cache
from transformers.masking_utils import create_bidirectional_mask

from ..compat import create_causal_mask_with_cache


def sequence_ids_from_position_ids(position_ids: torch.Tensor) -> torch.Tensor:
    """Number the documents of packed rows: a new document starts wherever the position resets to its minimum.

    position_ids (b, t) such as [[0, 1, 2, 0, 1]] -> (b, t) [[0, 0, 0, 1, 1]]. Works with any offset
    (RoBERTa's positions start at 2): a document starts where the position does not increase by one.
    """
    starts = torch.ones_like(position_ids, dtype=torch.bool)
    starts[:, 1:] = position_ids[:, 1:] != position_ids[:, :-1] + 1  # (b, t)
    return starts.long().cumsum(dim=-1) - 1


def _same_sequence(sequence_ids: torch.Tensor) -> Callable[[Any, Any, Any, Any], Any]:
    def same_sequence(batch_idx: Any, head_idx: Any, q_idx: Any, kv_idx: Any) -> Any:
        return sequence_ids[batch_idx, q_idx] == sequence_ids[batch_idx, kv_idx]

    return same_sequence


def _same_document(query_ids: torch.Tensor, key_ids: torch.Tensor) -> Callable[[Any, Any, Any, Any], Any]:
    def same_document(batch_idx: Any, head_idx: Any, q_idx: Any, kv_idx: Any) -> Any:
        return query_ids[batch_idx, q_idx] == key_ids[batch_idx, kv_idx]

    return same_document


def bidirectional_mask(
    config: PreTrainedConfig,
    inputs_embeds: torch.Tensor,
    attention_mask: torch.Tensor | None,
    *,
    sequence_ids: torch.Tensor | None = None,
    encoder_hidden_states: torch.Tensor | None = None,
    memory_sequence_ids: torch.Tensor | None = None,
) -> Any:
    """Encoder self-attention (or cross-attention onto `encoder_hidden_states`) with padding.

    With `sequence_ids` (b, t), tokens attend only within their own packed document. For packed
    encoder-decoder rows, `memory_sequence_ids` (b, s) numbers the encoder's documents: decoder
    document k then reads only encoder document k.
    """
    and_mask = None
    if sequence_ids is not None:
        and_mask = (
            _same_sequence(sequence_ids)
            if memory_sequence_ids is None
            else _same_document(sequence_ids, memory_sequence_ids)
        )
    return create_bidirectional_mask(
        config=config,
        inputs_embeds=inputs_embeds,
        attention_mask=attention_mask,
        encoder_hidden_states=encoder_hidden_states,
        and_mask_function=and_mask,
    )


def causal_mask(
    config: PreTrainedConfig,
    inputs_embeds: torch.Tensor,
    attention_mask: torch.Tensor | None,
    *,
    past_key_values: Cache | None = None,
    position_ids: torch.Tensor | None = None,
    sequence_ids: torch.Tensor | None = None,
    prefix_lengths: torch.Tensor | None = None,
) -> Any:
    """Decoder self-attention: causal, with padding; optionally packed or with a visible prefix.

    `prefix_lengths` (b,): positions `< prefix_lengths[i]` are visible to every query of row i
    (prefix LM). `sequence_ids` (b, t): no attention across packed documents.
    """
    prefix_fn = None
    if prefix_lengths is not None:

        def prefix_fn(batch_idx: Any, head_idx: Any, q_idx: Any, kv_idx: Any) -> Any:
            return kv_idx < prefix_lengths[batch_idx]

    return create_causal_mask_with_cache(
        past_key_values,
        config=config,
        inputs_embeds=inputs_embeds,
        attention_mask=attention_mask,
        position_ids=position_ids,
        or_mask_function=prefix_fn,
        and_mask_function=None if sequence_ids is None else _same_sequence(sequence_ids),
    )
