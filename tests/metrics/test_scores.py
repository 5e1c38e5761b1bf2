"""Offline metrics: each score checked against scikit-learn / scipy (when installed) or hand values,
and the `evaluate` modules behave as `evaluate.load`'s would, without any Hub access."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hf_ssl import metrics

labels = st.lists(st.integers(0, 2), min_size=2, max_size=40)


@given(st.data())
@settings(max_examples=60, deadline=None)
def test_classification_scores_equal_scikit_learn(data):
    sklearn = pytest.importorskip("sklearn.metrics", reason="scikit-learn (the test extra) checks the scores")
    references = data.draw(labels)
    predictions = data.draw(st.lists(st.integers(0, 2), min_size=len(references), max_size=len(references)))
    assert metrics.accuracy(predictions, references) == pytest.approx(
        sklearn.accuracy_score(references, predictions)
    )
    for average in ("macro", "micro"):
        expected = sklearn.f1_score(
            references,
            predictions,
            average=average,
            labels=sorted(set(references) | set(predictions)),
            zero_division=0,
        )
        assert metrics.f1(predictions, references, average=average) == pytest.approx(expected)
    binary_p, binary_r = [int(p == 1) for p in predictions], [int(r == 1) for r in references]
    assert metrics.f1(binary_p, binary_r) == pytest.approx(
        sklearn.f1_score(binary_r, binary_p, zero_division=0)
    )
    assert metrics.matthews_correlation(predictions, references) == pytest.approx(
        sklearn.matthews_corrcoef(references, predictions), abs=1e-12
    )


@given(
    st.lists(
        st.tuples(st.integers(0, 5), st.integers(-300, 300).map(lambda v: v / 100)), min_size=3, max_size=30
    )
)
@settings(max_examples=60, deadline=None)
def test_correlations_equal_scipy(pairs):
    stats = pytest.importorskip("scipy.stats", reason="scipy (the test extra) checks the correlations")
    x = np.array([float(a) for a, _ in pairs])
    y = np.array([b for _, b in pairs])
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return  # undefined correlation: both report it differently (scipy: nan, hf_ssl: 0)
    assert metrics.pearson(x, y) == pytest.approx(stats.pearsonr(x, y).statistic, abs=1e-9)
    assert metrics.spearman(x, y) == pytest.approx(stats.spearmanr(x, y).statistic, abs=1e-9)


def test_glue_reports_each_tasks_metrics_and_their_mean():
    scores = metrics.glue_scores("mrpc", [1, 1, 0, 0], [1, 0, 0, 0])
    assert scores["accuracy"] == 0.75 and scores["f1"] == pytest.approx(2 / 3)
    assert scores["score"] == pytest.approx((0.75 + 2 / 3) / 2)
    assert set(metrics.glue_scores("cola", [1, 0], [1, 0])) == {"matthews_correlation", "score"}
    with pytest.raises(ValueError, match="unknown GLUE task 'mrcp'"):
        metrics.glue_scores("mrcp", [1], [1])


def test_squad_normalises_answers_like_the_official_script():
    scores = metrics.squad_scores(
        ["The Pequod.", "a white whale", "Ahab"],
        [["the pequod"], ["the white whale", "Moby Dick"], ["Starbuck"]],
    )
    assert scores["exact_match"] == pytest.approx(200 / 3)
    assert scores["f1"] == pytest.approx(200 / 3)
    partial = metrics.squad_scores(["white whale swims"], [["the white whale"]])
    assert partial["f1"] == pytest.approx(100 * 2 * (2 / 3) * 1 / (2 / 3 + 1))  # P = 2/3, R = 1


def test_mismatched_or_empty_inputs_are_named():
    with pytest.raises(ValueError, match=r"predictions have shape \(2,\) but references \(3,\)"):
        metrics.accuracy([1, 0], [1, 0, 1])
    with pytest.raises(ValueError, match="no predictions"):
        metrics.accuracy([], [])
    with pytest.raises(ValueError, match="average='weighted'"):
        metrics.f1([1], [1], average="weighted")


@pytest.mark.parametrize(
    ("name", "config", "predictions", "references", "expected"),
    [
        ("accuracy", None, [1, 0, 1], [1, 1, 1], {"accuracy": pytest.approx(2 / 3)}),
        ("f1", None, [1, 1, 0], [1, 0, 0], {"f1": pytest.approx(2 / 3)}),
        ("matthews_correlation", None, [1, 0], [1, 0], {"matthews_correlation": pytest.approx(1.0)}),
        (
            "pearsonr",
            None,
            [1.0, 2.0, 3.0],
            [2.0, 4.0, 6.5],
            {"pearsonr": pytest.approx(4.5 / math.sqrt(2 * 61 / 6))},
        ),
        ("spearmanr", None, [1.0, 2.0, 3.0], [3.0, 2.0, 1.0], {"spearmanr": pytest.approx(-1.0)}),
        ("glue", "sst2", [1, 0], [1, 1], {"accuracy": 0.5, "score": 0.5}),
        ("squad", None, ["the Pequod"], [["Pequod"]], {"exact_match": 100.0, "f1": 100.0}),
    ],
)
def test_evaluate_modules_compute_offline(name, config, predictions, references, expected):
    module = metrics.load(name, config)
    module.add_batch(predictions=predictions[:1], references=references[:1])
    result = module.compute(predictions=predictions[1:], references=references[1:])
    for key, value in expected.items():
        assert result[key] == value


def test_seqeval_and_perplexity_modules():
    tags = metrics.load("seqeval").compute(
        predictions=[["B-PER", "I-PER", "O"]], references=[["B-PER", "I-PER", "O"]]
    )
    assert tags["f1"] == 1.0
    assert metrics.load("perplexity").compute(predictions=[math.log(4.0)] * 3)["perplexity"] == pytest.approx(
        4.0
    )
    with pytest.raises(ValueError, match="unknown metric 'bleu'"):
        metrics.load("bleu")


def test_trainer_hook_scores_logits_and_regression_outputs():
    compute = metrics.compute_classification_metrics()
    logits = np.array([[2.0, 0.1], [0.1, 2.0], [3.0, 0.0]])
    result = compute(SimpleNamespace(predictions=logits, label_ids=np.array([0, 1, 1])))
    assert result["accuracy"] == pytest.approx(2 / 3)
    stsb = metrics.compute_classification_metrics()(
        SimpleNamespace(predictions=np.array([[0.1], [0.5], [0.9]]), label_ids=np.array([0.0, 2.5, 5.0]))
    )
    assert stsb["spearmanr"] == pytest.approx(1.0)
    mrpc = metrics.compute_classification_metrics("mrpc")(
        SimpleNamespace(predictions=logits, label_ids=np.array([0, 1, 1]))
    )
    assert set(mrpc) == {"accuracy", "f1", "score"}


def test_glue_average_is_the_mean_of_task_scores():
    mrpc = metrics.glue_scores("mrpc", [1, 1, 0, 0], [1, 0, 0, 0])
    assert metrics.glue_average({"mrpc": mrpc, "sst2": 0.5}) == pytest.approx((mrpc["score"] + 0.5) / 2)
    with pytest.raises(ValueError, match=r"unknown GLUE task\(s\) \['squad'\]"):
        metrics.glue_average({"squad": 1.0})


def test_span_metrics_score_exact_and_overlapping_spans():
    start_logits = np.array([[0, 9, 0, 0, 0], [0, 0, 9, 0, 0], [9, 0, 0, 0, 0]], dtype=float)
    end_logits = np.array([[0, 0, 9, 0, 0], [0, 0, 0, 0, 9], [0, 0, 0, 9, 0]], dtype=float)
    gold = (np.array([1, 2, 2]), np.array([2, 3, 2]))
    result = metrics.compute_span_metrics()(
        SimpleNamespace(predictions=(start_logits, end_logits), label_ids=gold)
    )
    # exact, then [2,4] vs [2,3] (P 2/3, R 1 -> 0.8), then [0,3] vs [2,2] (P 1/4, R 1 -> 0.4)
    assert result["exact_match"] == pytest.approx(100 / 3)
    assert result["f1"] == pytest.approx(100 * (1 + 0.8 + 0.4) / 3)


def test_lm_metrics_count_labelled_positions_and_shift_for_causal_models():
    logits = np.eye(4)[[[1, 2, 3, 0]]]  # position i predicts token (i + 1) % 4
    labels = np.array([[0, 1, 2, -100]])
    masked = metrics.compute_lm_metrics()(SimpleNamespace(predictions=logits, label_ids=labels))
    causal = metrics.compute_lm_metrics(shifted=True)(SimpleNamespace(predictions=logits, label_ids=labels))
    assert masked["token_accuracy"] == 0.0 and causal["token_accuracy"] == 1.0
