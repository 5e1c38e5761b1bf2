"""Contextual similarity of one word across sentences: per-layer vectors, cosine matrix, sense gap.

The lecture's 苹果 (apple) experiment, after Ethayarajh 2019 ("How Contextual are Contextualized Word
Representations?", §3-4: self-similarity, anisotropy and mean-centring) and the word-sense 1-NN probe
of Wiedemann et al. 2019 ("Does BERT Make Any Sense?", §3). For each sentence the target word's
hidden state at every layer is taken (its subword pieces averaged), optionally mean-centred (BERT-like
spaces are anisotropic: every pair of vectors has a high cosine, so a shared mean is subtracted),
and compared by cosine. Δ = mean within-sense cosine - mean between-sense cosine; a static model
(one vector per word type) gives identical rows and Δ = 0 by construction.

Shapes: L layers (+1 for the embedding output), n sentences, H hidden size.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import torch
from torch.nn import functional as F

__all__ = [
    "layer_means",
    "nearest_neighbour_accuracy",
    "plot_similarity",
    "sense_gap",
    "similarity_matrix",
    "static_target_vectors",
    "target_vectors",
]


def _word_span(sentence: str, word: str) -> tuple[int, int]:
    match = re.search(rf"\b{re.escape(word)}\b", sentence, flags=re.IGNORECASE)
    if match is None:
        raise ValueError(f"word {word!r} does not occur in sentence {sentence!r}")
    return match.span()


def _encode(tokenizer: Any, sentences: Sequence[str], truncation: bool = False) -> dict[str, torch.Tensor]:
    if not getattr(tokenizer, "is_fast", False):
        raise TypeError(f"a fast tokenizer is needed for character offsets, got {type(tokenizer).__name__}")
    return tokenizer(
        list(sentences), padding=True, truncation=truncation, return_offsets_mapping=True, return_tensors="pt"
    )


@torch.no_grad()
def _hidden_states(model: Any, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    inputs = {k: v for k, v in batch.items() if k in ("input_ids", "attention_mask", "token_type_ids")}
    output = model(**inputs, output_hidden_states=True)
    if output.hidden_states is None:
        raise TypeError(f"{type(model).__name__} returned no hidden_states; expected an encoder model")
    return torch.stack([h.float() for h in output.hidden_states])  # (L+1, n, t, H)


def target_vectors(model: Any, tokenizer: Any, sentences: Sequence[str], word: str) -> torch.Tensor:
    """The (L+1, n, H) hidden states of `word` (first occurrence, pieces averaged) in each sentence.

    Layer 0 is the embedding output; `model` is any encoder returning `hidden_states`.
    """
    if not sentences:
        raise ValueError("sentences is empty; expected at least one sentence containing the word")
    spans = [_word_span(s, word) for s in sentences]
    batch = _encode(tokenizer, sentences)
    offsets = batch.pop("offset_mapping")  # (n, t, 2)
    starts, ends = offsets[..., 0], offsets[..., 1]
    span = torch.tensor(spans)  # (n, 2)
    # A piece belongs to the word when its character range overlaps the word's; specials have (0, 0).
    pieces = (ends > starts) & (starts < span[:, 1:]) & (ends > span[:, :1])  # (n, t)
    if not pieces.any(-1).all():
        missing = [s for s, ok in zip(sentences, pieces.any(-1).tolist(), strict=True) if not ok]
        raise ValueError(f"no token of {word!r} survived tokenization in {missing!r}")
    states = _hidden_states(model, batch)  # (L+1, n, t, H)
    weights = pieces.float() / pieces.sum(-1, keepdim=True)  # (n, t)
    return torch.einsum("lnth,nt->lnh", states, weights)  # (L+1, n, H)


def layer_means(model: Any, tokenizer: Any, sentences: Sequence[str]) -> torch.Tensor:
    """The (L+1, H) mean hidden state over every non-special token of `sentences`, for mean-centring.

    Sentences longer than the tokenizer's `model_max_length` are truncated to it.
    """
    batch = _encode(tokenizer, sentences, truncation=True)
    offsets = batch.pop("offset_mapping")  # (n, t, 2)
    real = offsets[..., 1] > offsets[..., 0]  # (n, t); specials and padding have empty offsets
    states = _hidden_states(model, batch)  # (L+1, n, t, H)
    return states[:, real].mean(1)  # (L+1, H)


def static_target_vectors(vectors: torch.Tensor, token_id: int, n: int) -> torch.Tensor:
    """A static model's (1, n, E) "contextual" vectors: the same row of the (V, E) table n times."""
    if vectors.dim() != 2 or not 0 <= token_id < vectors.shape[0]:
        raise ValueError(f"token_id {token_id} for a table of shape {tuple(vectors.shape)}; expected (V, E)")
    return vectors.detach().float()[token_id].expand(1, n, -1).clone()  # (1, n, E)


def similarity_matrix(vectors: torch.Tensor, centre: torch.Tensor | None = None) -> torch.Tensor:
    """Cosine similarities (..., n, n) of (..., n, H) vectors, after subtracting `centre` (..., H)."""
    if centre is not None:
        vectors = vectors - centre.unsqueeze(-2)
    unit = F.normalize(vectors.float(), dim=-1)
    return unit @ unit.transpose(-2, -1)  # (..., n, n)


def _check_labels(similarity: torch.Tensor, labels: Sequence[int]) -> torch.Tensor:
    n = similarity.shape[-1]
    if similarity.shape[-2:] != (n, n) or len(labels) != n:
        raise ValueError(f"{len(labels)} labels for a similarity of shape {tuple(similarity.shape)}")
    label = torch.as_tensor(labels)
    if label.unique().numel() < 2:
        raise ValueError(f"labels {list(labels)} have one sense; expected at least two")
    return label


def sense_gap(similarity: torch.Tensor, labels: Sequence[int]) -> torch.Tensor:
    """Δ = mean within-sense cosine (off-diagonal) - mean between-sense cosine, per leading index."""
    label = _check_labels(similarity, labels)
    same = label[:, None] == label[None, :]  # (n, n)
    within = same & ~torch.eye(len(label), dtype=torch.bool)
    return similarity[..., within].mean(-1) - similarity[..., ~same].mean(-1)


def nearest_neighbour_accuracy(similarity: torch.Tensor, labels: Sequence[int]) -> torch.Tensor:
    """Leave-one-out 1-NN sense accuracy: how often a sentence's most similar other sentence shares its sense.

    Ties go to the lowest index, so a static model (all cosines equal) scores by the label order alone.
    """
    label = _check_labels(similarity, labels)
    eye = torch.eye(len(label), dtype=torch.bool)
    nearest = similarity.masked_fill(eye, float("-inf")).argmax(-1)  # (..., n)
    return (label[nearest] == label).float().mean(-1)


def plot_similarity(
    similarity: torch.Tensor,
    labels: Sequence[int],
    *,
    title: str = "",
    ax: Any = None,
    names: Sequence[str] = (),
) -> Any:
    """Draw an (n, n) cosine heatmap with sense boundaries; returns the matplotlib Axes.

    matplotlib is an optional dependency, imported here only.
    """
    import matplotlib.pyplot as plt

    label = _check_labels(similarity, labels)
    if ax is None:
        _, ax = plt.subplots(figsize=(4, 4))
    image = ax.imshow(similarity.detach().cpu().numpy(), vmin=-1.0, vmax=1.0, cmap="RdBu_r")
    for boundary in (torch.nonzero(label[1:] != label[:-1]).flatten() + 0.5).tolist():
        ax.axhline(boundary, color="black", linewidth=0.8)
        ax.axvline(boundary, color="black", linewidth=0.8)
    if names:
        ax.set_xlabel(" | ".join(names), fontsize=7)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title, fontsize=8)
    ax.figure.colorbar(image, ax=ax, fraction=0.046)
    return ax
