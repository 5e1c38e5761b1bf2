"""Smoke tier of benchmarks/reproductions/electra_vs_mlm.py (claim 3): both arms pretrain,
fine-tune and are judged behind the discriminator-AUC gate. No direction is asserted."""

from __future__ import annotations

import json

import numpy as np
import pytest

from benchmarks.reproductions import electra_vs_mlm as ev


def test_auc_is_the_probability_a_replaced_token_outscores_an_original():
    labels = np.array([0, 0, 1, 1])
    assert ev.auc(np.array([0.1, 0.2, 0.8, 0.9]), labels) == 1.0
    assert ev.auc(np.array([0.9, 0.8, 0.2, 0.1]), labels) == 0.0
    assert ev.auc(np.array([0.1, 0.8, 0.2, 0.9]), labels) == 0.75
    assert np.isnan(ev.auc(np.array([0.1, 0.2]), np.array([1, 1])))


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory, wordnet_and_matplotlib):
    output = tmp_path_factory.mktemp("electra_vs_mlm")
    ev.run("smoke", output)
    return output, json.loads((output / "electra_vs_mlm.json").read_text())


def test_the_smoke_tier_matches_flops_and_gates_on_the_discriminator(smoke_run):
    output, result = smoke_run
    for key in (
        "versions",
        "settings",
        "task",
        "compute",
        "thresholds",
        "runs",
        "electra_minus_mlm",
        "outcome",
    ):
        assert key in result
    compute = result["compute"]
    electra_flops = compute["electra_steps"] * compute["electra_flops_per_step"]
    mlm_flops = compute["mlm_steps"] * compute["mlm_flops_per_step"]
    assert abs(electra_flops - mlm_flops) <= compute["mlm_flops_per_step"]  # equal up to one step
    run = result["runs"][0]
    assert 0.0 <= run["discriminator"]["auc"] <= 1.0 and 0.0 <= run["electra_accuracy"] <= 100.0
    assert len(result["task"]["labels"]) == 26  # WordNet's noun supersenses
    if not result["gate_passed"]:
        assert result["outcome"].startswith("invalid")
    assert (output / "electra_vs_mlm.png").stat().st_size > 10_000
