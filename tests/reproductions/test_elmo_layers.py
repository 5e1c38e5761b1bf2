"""Smoke tier of benchmarks/reproductions/elmo_layers.py (claim 5): WordNet probe sets,
a few biLM steps, layer probes and the scalar mix, JSON and PNG. No direction is asserted."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from benchmarks.reproductions import elmo_layers as el


def test_the_difference_of_differences_reads_the_right_way_round():
    ones, zeros = np.ones(50), np.zeros(50)
    pos = {"L1": ones, "L2": zeros}  # POS best from layer 1
    sense = {"L1": zeros, "L2": ones}  # sense best from layer 2
    result = el.diff_of_differences(pos, sense, np.random.default_rng(0))
    assert result["value"] == 2.0 and result["ci"][0] == 2.0


def test_a_mix_probe_starts_as_the_mean_of_the_layers():
    probe = el.Probe(dim=4, classes=2, layer=None)
    x = torch.randn(3, 3, 4)
    torch.testing.assert_close(probe(x), probe.linear(x.mean(dim=1)))
    single = el.Probe(dim=4, classes=2, layer=1)
    torch.testing.assert_close(single(x), single.linear(x[:, 1]))


def test_probe_sets_are_split_by_sentence():
    items = [{"words": [f"w{i}", "x"], "span": (0, 1), "label": "n"} for i in range(200)]
    train, test = el.split_by_sentence(items + items)
    assert not {tuple(i["words"]) for i in train} & {tuple(i["words"]) for i in test}
    assert 0.1 < len(test) / (len(train) + len(test)) < 0.3


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory, wordnet_and_matplotlib):
    output = tmp_path_factory.mktemp("elmo_layers")
    el.run("smoke", output)
    return output, json.loads((output / "elmo_layers.json").read_text())


def test_the_smoke_tier_probes_every_layer_of_both_arms_on_both_tasks(smoke_run):
    output, result = smoke_run
    for key in ("versions", "settings", "data", "lm", "thresholds", "arms", "summary", "outcome"):
        assert key in result
    for arm in ("pretrained", "random_init"):
        run = result["arms"][arm][0]
        assert set(run["accuracy"]) == {"pos", "sense"}
        assert set(run["accuracy"]["pos"]) == {"L0", "L1", "L2", "mix"}
        assert sum(run["mix_weights"]["sense"]) == pytest.approx(1.0)
    assert set(result["data"]["pos"]["classes"]) <= {"n", "v", "a", "r"}
    assert (output / "elmo_layers.png").stat().st_size > 10_000
