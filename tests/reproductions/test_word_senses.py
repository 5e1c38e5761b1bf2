"""Smoke tier of benchmarks/reproductions/word_senses.py (claim 4): the pipeline runs,
writes its JSON and PNG, and its sanity gates decide the outcome. No scientific direction is
asserted: 8 pretraining steps teach the tiny BERT nothing."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "reproductions" / "word_senses.py"


@pytest.fixture(scope="module")
def word_senses():
    spec = importlib.util.spec_from_file_location("word_senses", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["word_senses"] = module  # dataclasses look their module up while the script loads
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def smoke_run(word_senses, tmp_path_factory):
    pytest.importorskip("matplotlib", reason="the PNG needs matplotlib (the test extra)")
    output = tmp_path_factory.mktemp("word_senses")
    word_senses.run("smoke", 1, output)
    return output, json.loads((output / "word_senses.json").read_text())


def test_the_smoke_tier_writes_a_json_with_every_section_and_a_png(smoke_run):
    output, result = smoke_run
    for key in ("versions", "settings", "seeds", "thresholds", "word_counts", "senses", "summary", "outcome"):
        assert key in result
    assert {"bert_pretrained", "bert_random_init", "cbow"} <= set(result["models"])
    assert (output / "word_senses.png").stat().st_size > 10_000


def test_every_word_has_per_layer_gaps_for_the_contextual_models(smoke_run, word_senses):
    _, result = smoke_run
    for word in word_senses.SENSES:
        scores = result["models"]["bert_pretrained"]["0"][word]
        assert len(scores["gap_centred"]) == 3  # embeddings + 2 layers of bert-tiny
        assert len(scores["matrix_top_centred"]) == 12


def test_cbow_static_vectors_give_no_sense_gap_and_chance_nearest_neighbours(smoke_run):
    _, result = smoke_run
    assert result["outcome"]["cbow_static_gap_is_zero_by_construction"]
    # Identical rows make every cosine 1, so Δ is 0 up to float rounding of the normalised dot product.
    assert result["summary"]["gap_cbow_static"]["mean"] == pytest.approx(0.0, abs=1e-6)
    assert result["summary"]["nn_cbow_static"]["mean"] == 0.5


def test_the_mlm_gate_compares_held_out_loss_with_unigram_entropy_and_voids_a_failed_run(
    smoke_run, word_senses
):
    _, result = smoke_run
    gate = result["mlm_gate"]["0"]
    expected = gate["held_out_mlm_loss"] <= result["unigram_entropy_nats"] - word_senses.MLM_GATE_MARGIN
    assert gate["passed"] == expected
    if not gate["passed"]:
        assert result["outcome"]["tiny_bert"].startswith("invalid")


def test_the_verdict_follows_the_pre_registered_bands(word_senses):
    def summary(mean, low, high):
        return {"mean": mean, "ci95": [low, high]}

    good_nn, good_nn_diff = summary(0.9, 0.85, 0.95), summary(0.3, 0.2, 0.4)
    assert word_senses.verdict(summary(0.2, 0.1, 0.3), good_nn, good_nn_diff, True, True) == "reproduced"
    assert (
        word_senses.verdict(summary(0.02, -0.01, 0.05), good_nn, good_nn_diff, True, True) == "not reproduced"
    )
    assert (
        word_senses.verdict(summary(0.08, -0.02, 0.18), good_nn, good_nn_diff, True, True) == "inconclusive"
    )
    assert word_senses.verdict(summary(0.2, 0.1, 0.3), good_nn, good_nn_diff, False, True) == "inconclusive"
    assert word_senses.verdict(summary(0.2, 0.1, 0.3), good_nn, good_nn_diff, True, False).startswith(
        "invalid"
    )


def test_no_sense_sentence_occurs_in_the_corpus(word_senses):
    from hf_ssl.data import iter_texts, load_default_corpus

    word_senses.check_held_out(list(iter_texts(load_default_corpus())))
    with pytest.raises(ValueError, match="occurs in the corpus"):
        word_senses.check_held_out(["Filler. " + word_senses.SENSES["line"][0][1][0]])
