"""Smoke tier of benchmarks/reproductions/in_context.py (claim 6), and the task's own
construction: per-sequence maps, k counted right, zero-shot queries absent from the prompt. No
scientific direction is asserted: 20 steps teach the tiny GPT nothing."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.reproductions import in_context as ic


def test_sequences_are_bursty_consistent_and_count_the_query():
    sequences, counts = ic.make_sequences(2000, np.random.default_rng(0), unseen_share=0.2)
    assert sequences.shape == (2000, ic.SEQ_LEN)
    items, labels = sequences[:, 0 : ic.QUERY : 2], sequences[:, 1 : ic.QUERY : 2]
    assert (items < ic.NUM_ITEMS).all() and (labels >= ic.LABEL_OFFSET).all()
    for row in range(2000):
        mapping: dict[int, int] = {}
        for item, label in zip(items[row], labels[row], strict=True):
            assert mapping.setdefault(int(item), int(label)) == label  # one label per item in a row
        assert len(mapping) == ic.DISTINCT_ITEMS
        query, answer = int(sequences[row, ic.QUERY]), int(sequences[row, ic.QUERY + 1])
        assert counts[row] == int((items[row] == query).sum())
        if counts[row]:
            assert mapping[query] == answer
    assert abs((counts == 0).mean() - 0.2) < 0.03  # the unseen share
    # The map is redrawn per sequence: one item gets different labels across rows.
    first = {}
    disagreements = 0
    for row in range(2000):
        for item, label in zip(items[row], labels[row], strict=True):
            if first.setdefault(int(item), int(label)) != label:
                disagreements += 1
    assert disagreements > 1000


def test_a_fixed_map_gives_every_item_one_label_everywhere():
    fixed = np.random.default_rng(1).integers(0, ic.NUM_LABELS, ic.NUM_ITEMS)
    sequences, _ = ic.make_sequences(500, np.random.default_rng(0), unseen_share=0.2, fixed_map=fixed)
    pairs = np.concatenate(
        [
            sequences[:, 0 : ic.QUERY + 2 : 2].reshape(-1, 1),
            sequences[:, 1 : ic.QUERY + 2 : 2].reshape(-1, 1),
        ],
        1,
    )
    assert (fixed[pairs[:, 0]] + ic.LABEL_OFFSET == pairs[:, 1]).all()


def test_the_training_loss_falls_on_label_tokens_only():
    sequences, _ = ic.make_sequences(4, np.random.default_rng(0), unseen_share=0.1)
    row = ic.SequenceDataset(sequences)[0]
    assert (row["labels"][0::2] == -100).all()
    assert (row["labels"][1::2] == row["input_ids"][1::2]).all()


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    pytest.importorskip("matplotlib", reason="the PNG needs matplotlib (the test extra)")
    output = tmp_path_factory.mktemp("in_context")
    return output, ic.run("smoke", output)


def test_the_smoke_tier_writes_a_json_with_its_verdict_and_a_png(smoke_run):
    import json

    output, _ = smoke_run
    result = json.loads((output / "in_context.json").read_text())
    for key in ("versions", "settings", "thresholds", "in_context", "control", "verdict", "outcome"):
        assert key in result
    assert result["outcome"] in ("reproduced", "not reproduced")
    run = result["in_context"]["runs"][0]
    assert [point["step"] for point in run["curve"]] == [0, 10, 20]
    assert set(run["by_demonstrations"]) == {str(n) for n in range(ic.CONTEXT_PAIRS + 1)}
    assert (output / "in_context.png").stat().st_size > 10_000


def test_the_zero_shot_gate_is_a_band_around_chance(smoke_run):
    _, result = smoke_run
    verdict = result["verdict"]
    low, high = verdict["zero_shot_band"]
    assert low < ic.CHANCE < high
    assert verdict["zero_shot_at_chance"] == (low <= verdict["zero_shot_pooled"] <= high)
