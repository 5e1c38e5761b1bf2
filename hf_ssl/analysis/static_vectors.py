"""Static word vectors: cosine nearest neighbours and vector-offset analogies.

Mikolov, Yih & Zweig 2013 ("Linguistic Regularities in Continuous Space Word Representations", §4):
"a is to b as c is to ?" is answered by the word closest in cosine to b - a + c, with a, b and c
themselves excluded from the candidates (as word2vec's `compute-accuracy.c` and `word-analogy.c`
do); the query words are excluded from nearest neighbours likewise.

Works on any (V, E) matrix: a CBOW model's input vectors, or any model's input embeddings.

Shapes: V vocabulary, E embedding size.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch.nn import functional as F

__all__ = ["analogy", "nearest_neighbours", "word_vectors"]

Query = int | str


def word_vectors(source: Any) -> torch.Tensor:
    """A (V, E) matrix from a tensor, an nn.Embedding or a model with `get_input_embeddings()`."""
    if isinstance(source, torch.Tensor):
        vectors = source
    elif isinstance(source, torch.nn.Embedding):
        vectors = source.weight
    elif hasattr(source, "get_input_embeddings"):
        vectors = source.get_input_embeddings().weight
    else:
        raise TypeError(f"expected a (V, E) tensor, an nn.Embedding or a model, got {type(source).__name__}")
    if vectors.dim() != 2:
        raise ValueError(f"word vectors have shape {tuple(vectors.shape)}; expected (vocab, dim)")
    return vectors.detach().float()


def _vocab(vocab: Any) -> Mapping[str, int] | None:
    if vocab is None or isinstance(vocab, Mapping):
        return vocab
    if hasattr(vocab, "get_vocab"):
        return vocab.get_vocab()
    raise TypeError(f"vocab must be a mapping word -> id or a tokenizer, got {type(vocab).__name__}")


def _resolve(query: Query, vocab: Mapping[str, int] | None, size: int) -> int:
    if isinstance(query, str):
        if vocab is None:
            raise ValueError(f"query {query!r} is a word; pass vocab= (a tokenizer or a word -> id mapping)")
        if query not in vocab:
            raise ValueError(f"{query!r} is not in the vocabulary")
        query = vocab[query]
    if isinstance(query, bool) or not isinstance(query, int) or not 0 <= query < size:
        raise ValueError(f"query id {query!r}; expected an id in [0, {size})")
    return query


def _top(
    vectors: torch.Tensor,
    target: torch.Tensor,
    exclude: Sequence[int],
    k: int,
    vocab: Mapping[str, int] | None,
) -> list[tuple[Query, float]]:
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k={k!r}; expected an int >= 1")
    scores = F.normalize(vectors, dim=-1) @ F.normalize(target, dim=-1)  # (V,)
    scores[list(exclude)] = float("-inf")
    top = scores.topk(min(k, vectors.shape[0] - len(set(exclude))))
    names = {i: w for w, i in vocab.items()} if vocab is not None else {}
    return [(names.get(i, i), s) for i, s in zip(top.indices.tolist(), top.values.tolist(), strict=True)]


def nearest_neighbours(
    source: Any, query: Query, *, k: int = 10, vocab: Any = None, exclude: Sequence[Query] = ()
) -> list[tuple[Query, float]]:
    """The `k` words closest in cosine to `query` (an id, or a word with `vocab`), the query excluded.

    Returns (word or id, cosine) pairs, best first; words when `vocab` is given, ids otherwise.
    """
    vectors, table = word_vectors(source), _vocab(vocab)
    ids = [_resolve(q, table, vectors.shape[0]) for q in (query, *exclude)]
    return _top(vectors, vectors[ids[0]], ids, k, table)


def analogy(
    source: Any, a: Query, b: Query, c: Query, *, k: int = 1, vocab: Any = None
) -> list[tuple[Query, float]]:
    """ "a is to b as c is to ?": the words closest in cosine to b - a + c, excluding a, b and c.

    Each input vector is unit-normalised first, as word2vec's `word-analogy.c` does.
    """
    vectors, table = word_vectors(source), _vocab(vocab)
    ia, ib, ic = (_resolve(q, table, vectors.shape[0]) for q in (a, b, c))
    unit = F.normalize(vectors, dim=-1)
    target = unit[ib] - unit[ia] + unit[ic]  # (E,)
    return _top(vectors, target, [ia, ib, ic], k, table)
