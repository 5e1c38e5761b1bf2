"""Tests for hf_ssl.analysis.contextual_similarity: word vectors per layer, cosine matrix, Δ and 1-NN."""

from __future__ import annotations

import pytest
import torch

import hf_ssl
from hf_ssl.analysis import (
    layer_means,
    nearest_neighbour_accuracy,
    plot_similarity,
    sense_gap,
    similarity_matrix,
    static_target_vectors,
    target_vectors,
)

SENTENCES = ["The whale rose near the boat.", "A whale is large.", "The sea was calm.", "Whale oil burns."]


@pytest.fixture(scope="module")
def tiny_bert(wordpiece_tokenizer):
    torch.manual_seed(0)
    config = hf_ssl.BertConfig(
        vocab_size=len(wordpiece_tokenizer),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
    )
    return hf_ssl.BertModel(config).eval()


def test_target_vectors_have_one_vector_per_layer_and_sentence(tiny_bert, wordpiece_tokenizer):
    vectors = target_vectors(tiny_bert, wordpiece_tokenizer, SENTENCES[:2] + SENTENCES[3:], "whale")
    assert vectors.shape == (3, 3, 32)


def test_target_vectors_average_the_word_pieces_of_the_hidden_states(tiny_bert, wordpiece_tokenizer):
    sentence = "The harpooneer slept."
    vector = target_vectors(tiny_bert, wordpiece_tokenizer, [sentence], "harpooneer")[-1, 0]
    batch = wordpiece_tokenizer([sentence], return_offsets_mapping=True, return_tensors="pt")
    offsets = batch.pop("offset_mapping")[0]
    pieces = [i for i, (s, e) in enumerate(offsets.tolist()) if e > s and s >= 4 and e <= 14]
    assert len(pieces) >= 1
    with torch.no_grad():
        hidden = tiny_bert(**batch).last_hidden_state[0]
    torch.testing.assert_close(vector, hidden[pieces].mean(0))


def test_a_sentence_without_the_word_is_named_in_the_error(tiny_bert, wordpiece_tokenizer):
    with pytest.raises(ValueError, match="The sea was calm"):
        target_vectors(tiny_bert, wordpiece_tokenizer, SENTENCES, "whale")


def test_the_embedding_layer_gives_equal_vectors_when_the_word_sits_at_the_same_position(
    tiny_bert, wordpiece_tokenizer
):
    vectors = target_vectors(
        tiny_bert, wordpiece_tokenizer, ["whale oil burns", "whale bone breaks"], "whale"
    )
    torch.testing.assert_close(vectors[0, 0], vectors[0, 1])
    assert not torch.allclose(vectors[-1, 0], vectors[-1, 1])


def test_a_static_model_gives_identical_rows_and_no_sense_gap():
    table = torch.randn(10, 8, generator=torch.Generator().manual_seed(0))
    similarity = similarity_matrix(static_target_vectors(table, 3, 6))[0]
    torch.testing.assert_close(similarity, torch.ones(6, 6))
    assert sense_gap(similarity, [0, 0, 0, 1, 1, 1]).item() == 0.0


def test_the_gap_and_nearest_neighbour_accuracy_of_a_hand_built_case():
    # Two orthogonal senses, each a pair of identical vectors: within cosine 1, between 0.
    vectors = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    similarity = similarity_matrix(vectors)
    assert sense_gap(similarity, [0, 0, 1, 1]).item() == pytest.approx(1.0)
    assert nearest_neighbour_accuracy(similarity, [0, 0, 1, 1]).item() == 1.0
    assert nearest_neighbour_accuracy(similarity, [0, 1, 0, 1]).item() == 0.0
    assert sense_gap(similarity, [0, 1, 0, 1]).item() == pytest.approx(-0.5)


def test_mean_centring_removes_a_shared_offset():
    offset = torch.tensor([10.0, 10.0, 10.0])
    vectors = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]) + offset
    assert similarity_matrix(vectors)[0, 1] > 0.9
    assert similarity_matrix(vectors, centre=offset)[0, 1].item() == pytest.approx(0.0, abs=1e-6)


def test_layer_means_average_real_tokens_per_layer(tiny_bert, wordpiece_tokenizer):
    means = layer_means(tiny_bert, wordpiece_tokenizer, SENTENCES)
    assert means.shape == (3, 32)
    assert torch.isfinite(means).all()


def test_one_sense_is_rejected():
    with pytest.raises(ValueError, match="one sense"):
        sense_gap(torch.eye(3), [1, 1, 1])


def test_the_heatmap_draws_on_given_axes(tmp_path):
    matplotlib = pytest.importorskip("matplotlib", reason="needs matplotlib (the test extra)")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    returned = plot_similarity(torch.eye(4), [0, 0, 1, 1], title="eye", ax=ax)
    assert returned is ax and ax.get_title() == "eye"
    fig.savefig(tmp_path / "eye.png")
    plt.close(fig)
    assert (tmp_path / "eye.png").stat().st_size > 0
