"""Nearest neighbours and analogies over static vectors: cosine ranking, query words excluded."""

from __future__ import annotations

import pytest
import torch

import hf_ssl
from hf_ssl.analysis import analogy, nearest_neighbours

WORDS = ["king", "queen", "man", "woman", "apple"]
VOCAB = {w: i for i, w in enumerate(WORDS)}
# king - man + woman lands nearer to king itself than to queen: the exclusion decides the answer.
VECTORS = torch.tensor(
    [
        [1.0, 1.0, 0.0],  # king
        [1.0, 0.2, 0.9],  # queen
        [0.0, 1.0, 0.0],  # man
        [0.0, 1.0, 0.3],  # woman
        [-1.0, 0.0, -1.0],  # apple
    ]
)


def test_nearest_neighbours_rank_by_cosine_and_exclude_the_query():
    result = nearest_neighbours(VECTORS, "king", k=4, vocab=VOCAB)
    words = [w for w, _ in result]
    assert "king" not in words
    unit = torch.nn.functional.normalize(VECTORS, dim=-1)
    cosines = unit @ unit[0]
    expected = sorted((i for i in range(1, 5)), key=lambda i: -cosines[i])
    assert words == [WORDS[i] for i in expected]
    assert result[0][1] == pytest.approx(cosines[expected[0]].item(), abs=1e-6)


def test_nearest_neighbours_return_ids_without_a_vocabulary_and_honour_exclusions():
    result = nearest_neighbours(VECTORS, 0, k=2, exclude=[2])
    assert [i for i, _ in result] == [3, 1]  # woman (0.68) before queen (0.62); man is excluded


def test_analogy_answers_with_the_best_word_other_than_its_three_inputs():
    unit = torch.nn.functional.normalize(VECTORS, dim=-1)
    target = unit[0] - unit[2] + unit[3]
    scores = torch.nn.functional.normalize(VECTORS, dim=-1) @ torch.nn.functional.normalize(target, dim=0)
    assert scores.argmax().item() == VOCAB["king"]  # the trap is real: an input word scores best
    assert analogy(VECTORS, "man", "king", "woman", vocab=VOCAB)[0][0] == "queen"


def test_helpers_accept_a_model_and_a_tokenizer_like_vocabulary():
    model = hf_ssl.CBOWModel(hf_ssl.CBOWConfig(vocab_size=5, embedding_size=3))
    with torch.no_grad():
        model.embeddings.weight.copy_(VECTORS)

    class Tok:
        def get_vocab(self):
            return VOCAB

    assert analogy(model, "man", "king", "woman", vocab=Tok())[0][0] == "queen"


def test_bad_queries_raise_with_the_query():
    with pytest.raises(ValueError, match="'prince' is not in the vocabulary"):
        nearest_neighbours(VECTORS, "prince", vocab=VOCAB)
    with pytest.raises(ValueError, match="pass vocab="):
        nearest_neighbours(VECTORS, "king")
    with pytest.raises(ValueError, match="query id 9"):
        nearest_neighbours(VECTORS, 9)
    with pytest.raises(ValueError, match="k=0"):
        nearest_neighbours(VECTORS, 0, k=0)
    with pytest.raises(TypeError, match="expected a \\(V, E\\) tensor"):
        nearest_neighbours([[1.0]], 0)
