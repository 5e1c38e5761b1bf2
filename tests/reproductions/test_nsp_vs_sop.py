"""Smoke tier of benchmarks/reproductions/nsp_vs_sop.py (claim 2) and the pieces it rests
on: the overlap feature is symmetric (so it cannot see order), the pairs come from hf_ssl's builder
with BERT's and ALBERT's negatives, and the smoke run writes its JSON and PNG. No direction is
asserted for the tiny smoke corpus."""

from __future__ import annotations

import json

import numpy as np
import pytest

from benchmarks.reproductions import nsp_vs_sop as ns


def test_the_overlap_feature_cannot_see_order():
    example = {
        "input_ids": [1, 5, 6, 7, 2, 7, 8, 2],
        "token_type_ids": [0, 0, 0, 0, 0, 1, 1, 1],
        "special_tokens_mask": [1, 0, 0, 0, 1, 0, 0, 1],
    }
    swapped = {
        "input_ids": [1, 7, 8, 2, 5, 6, 7, 2],
        "token_type_ids": [0, 0, 0, 0, 1, 1, 1, 1],
        "special_tokens_mask": [1, 0, 0, 1, 0, 0, 0, 1],
    }
    idf = {5: 1.0, 6: 2.0, 7: 3.0, 8: 4.0}
    assert ns.overlap(example, idf, 5.0) == ns.overlap(swapped, idf, 5.0) == pytest.approx(3 / 10)


def test_the_fitted_threshold_separates_what_can_be_separated():
    scores = np.array([0.1, 0.2, 0.3, 0.7, 0.8, 0.9])
    labels = np.array([1, 1, 1, 0, 0, 0])  # high overlap = B follows A (NSP label 0)
    threshold, direction = ns.fit_threshold(scores, labels)
    assert np.array_equal(np.where(scores >= threshold, 1 - direction, direction), labels)


def test_synthetic_scripts_are_seeded_and_documents_are_split_before_pairs_are_built():
    assert ns.synthetic_scripts(5, seed=3) == ns.synthetic_scripts(5, seed=3)
    documents = ns.synthetic_scripts(10)
    train, held_out = ns.split_documents(documents)
    assert len(held_out) == 2 and len(train) == 8
    assert not {tuple(d) for d in train} & {tuple(d) for d in held_out}


def test_docstrings_drop_their_summary_sentence():
    documents = ns.stdlib_docstrings(40)
    assert documents and all(len(d) >= 2 for d in documents)
    assert not any(d[0].startswith("Return ") for d in documents[:50]) or len(documents) < 50


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    pytest.importorskip("matplotlib", reason="the PNG needs matplotlib (the test extra)")
    output = tmp_path_factory.mktemp("nsp_vs_sop")
    ns.run("smoke", output)
    return output, json.loads((output / "nsp_vs_sop.json").read_text())


def test_the_smoke_tier_writes_both_parts_and_a_png(smoke_run):
    output, result = smoke_run
    for key in ("versions", "settings", "corpora", "thresholds", "shortcut", "neural", "outcome"):
        assert key in result
    for corpus in ("docstrings", "scripts"):
        for task in ("nsp", "sop"):
            assert 0.0 <= result["shortcut"][corpus][task]["accuracy"] <= 1.0
    table = result["neural"]["analysis"]["table"]
    assert set(table) == {"nsp", "sop"} and all(set(row) == {"nsp", "sop"} for row in table.values())
    assert result["outcome"]["b1_shortcut"] in ("reproduced", "not reproduced")
    assert result["outcome"]["b2_neural"].startswith("exploratory")
    assert (output / "nsp_vs_sop.png").stat().st_size > 10_000
