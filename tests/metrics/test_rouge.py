"""ROUGE-1/2/L F1 (Lin 2004) checked against values computed by hand, including the paper's own
ROUGE-L example (§3.1: S2 scores 3/4 and S3 scores 2/4 against S1)."""

from __future__ import annotations

import pytest

from hf_ssl import metrics


def test_rouge_matches_hand_counted_overlaps():
    # 6 tokens each; unigram overlap 5 (the x2, cat, on, mat); bigram overlap 3 of 5; LCS 5.
    scores = metrics.rouge_scores(["the cat sat on the mat"], ["the cat was on the mat"])
    assert scores == pytest.approx({"rouge1": 5 / 6, "rouge2": 3 / 5, "rougeL": 5 / 6})


def test_rouge_l_reproduces_lins_example_where_word_order_matters():
    reference = "police killed the gunman"
    same_order = metrics.rouge_scores(["police kill the gunman"], [reference])
    swapped = metrics.rouge_scores(["the gunman kill police"], [reference])
    assert same_order["rougeL"] == pytest.approx(3 / 4)
    assert swapped["rougeL"] == pytest.approx(2 / 4)
    # ROUGE-1 cannot tell the two apart: both share 3 of 4 unigrams with the reference.
    assert same_order["rouge1"] == swapped["rouge1"] == pytest.approx(3 / 4)


def test_rouge_ignores_case_and_punctuation_and_takes_the_best_reference():
    scores = metrics.rouge_scores(["The CAT, sat!"], [["a dog", "the cat sat"]])
    assert scores == pytest.approx({"rouge1": 1.0, "rouge2": 1.0, "rougeL": 1.0})


def test_rouge_averages_over_examples_and_scores_empty_output_zero():
    scores = metrics.rouge_scores(["the cat", ""], ["the cat", "a dog"])
    assert scores == pytest.approx({"rouge1": 0.5, "rouge2": 0.5, "rougeL": 0.5})


def test_rouge_module_loads_offline_and_agrees_with_the_function():
    module = metrics.load("rouge")
    result = module.compute(predictions=["the cat sat on the mat"], references=["the cat was on the mat"])
    assert result == pytest.approx({"rouge1": 5 / 6, "rouge2": 3 / 5, "rougeL": 5 / 6})


def test_rouge_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="2 predictions for 1 references"):
        metrics.rouge_scores(["a", "b"], ["a"])
