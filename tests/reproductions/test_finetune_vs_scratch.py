"""Smoke tier of benchmarks/reproductions/finetune_vs_scratch.py (claim 1) and its protocol.

The smoke tier checks the pipeline, the JSON fields, the held-out hygiene and the gates; it asserts
no scientific direction (30 pretraining steps cannot show one). The full tier is run by hand.
"""

from __future__ import annotations

import json
import math

import pytest

from benchmarks.reproductions import finetune_vs_scratch as repro
from benchmarks.reproductions import protocol


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    out = tmp_path_factory.mktemp("finetune_vs_scratch")
    result = repro.run(repro.SMOKE, out)
    return result, out


def test_paired_differences_subtract_control_from_treated_per_seed():
    assert protocol.paired_differences([3.0, 5.0], [1.0, 1.5]) == [2.0, 3.5]
    with pytest.raises(ValueError, match="equal lengths"):
        protocol.paired_differences([1.0], [1.0, 2.0])


def test_t_interval_matches_the_textbook_value_for_three_seeds():
    # mean 2, sample std 1, n 3: half-width t_{0.975,2} * 1 / sqrt(3) = 4.3027 / 1.7321 = 2.4841
    low, high = protocol.t_interval([1.0, 2.0, 3.0])
    assert low == pytest.approx(2 - 2.4841, abs=1e-3)
    assert high == pytest.approx(2 + 2.4841, abs=1e-3)
    assert protocol.t_interval([4.0]) == (-math.inf, math.inf)


def test_judge_gives_each_of_the_three_outcome_bands():
    assert protocol.judge(protocol.summarize([4.0, 5.0, 6.0]), threshold=3.0) == "reproduced"
    assert protocol.judge(protocol.summarize([0.0, 0.5, 1.0]), threshold=3.0) == "not reproduced"
    assert protocol.judge(protocol.summarize([-5.0, 4.0, 12.0]), threshold=3.0) == "inconclusive"


def test_write_json_records_versions_and_reads_back(tmp_path):
    path = protocol.write_json(tmp_path / "sub" / "r.json", {"x": 1.5})
    document = json.loads(path.read_text())
    assert document["x"] == 1.5
    assert {"torch", "transformers", "tokenizers", "hf_ssl"} <= set(document["versions"])


def test_dev_and_test_sentences_never_reach_pretraining_text():
    data = repro.build_data(repro.SMOKE)
    pretraining = [repro._strip(s) for d in data.pretrain_documents for s in d]
    for row in (*data.dev, *data.test):
        assert not any(s.startswith(row["text"]) for s in pretraining), row["text"]
    assert data.removed_sentences >= len(data.dev) + len(data.test) - 5  # a few duplicate texts allowed
    train_texts = {row["text"] for row in data.train_pool}
    assert not train_texts & {row["text"] for row in (*data.dev, *data.test)}


def test_smoke_tier_writes_every_field_for_both_arms_and_sizes(smoke):
    result, out = smoke
    stored = json.loads((out / "finetune_vs_scratch_smoke.json").read_text())
    assert (out / "finetune_vs_scratch_smoke.png").stat().st_size > 10_000
    assert stored["outcome"] == result["outcome"]
    assert stored["preregistered"]["acc_threshold_points"] == repro.ACC_THRESHOLD
    tier = repro.SMOKE
    expected_runs = 2 * len(tier.train_sizes) * len(tier.pretrain_seeds) * len(tier.finetune_seeds)
    assert len(stored["runs"]) == expected_runs
    for size in tier.train_sizes:
        numbers = stored["sizes"][str(size)]
        delta = numbers["delta_accuracy_points"]
        assert delta["n"] == len(tier.pretrain_seeds)
        assert delta["ci"][0] <= delta["mean"] <= delta["ci"][1]
        assert numbers["accuracy_outcome"] in ("reproduced", "not reproduced", "inconclusive")
    for run in stored["runs"]:
        assert run["dev_curve"][-1]["step"] == run["steps"] > 0
        assert sum(run["test_class_rates"]) == pytest.approx(1.0)
    assert {p["steps"] for p in stored["pretraining"]} == {tier.pretrain_steps}
    assert all(p["flops"] > 0 and p["tokens"] > 0 for p in stored["pretraining"])


def test_arms_share_the_labelled_subset_and_differ_only_in_initialisation(smoke):
    result, _ = smoke
    pairs = {}
    for run in result["runs"]:
        pairs.setdefault((run["train_size"], run["pretrain_seed"], run["finetune_seed"]), []).append(run)
    for runs in pairs.values():
        assert sorted(r["arm"] for r in runs) == ["pretrained", "scratch"]
        assert runs[0]["tokens"] == runs[1]["tokens"] and runs[0]["steps"] == runs[1]["steps"]


def test_mlm_gate_is_judged_against_the_corpus_unigram_entropy(smoke):
    result, _ = smoke
    gate = result["gates"]["mlm_loss_below_unigram_entropy"]
    assert 3.0 < gate["unigram_entropy"] < math.log(repro.SMOKE.vocab_size)
    expected = all(loss <= gate["unigram_entropy"] - gate["margin"] for loss in gate["heldout_mlm_losses"])
    assert gate["passed"] is expected
    # 30 steps of a 1-layer model cannot beat the unigram plateau: the gate must flag the run.
    assert result["outcome"] == "invalid (sanity gate failed)"


def test_step_ratio_is_the_first_eval_reaching_scratchs_final_dev_loss():
    pretrained = {"steps": 10, "dev_curve": [{"step": 5, "dev_loss": 0.8}, {"step": 10, "dev_loss": 0.5}]}
    scratch = {"steps": 10, "dev_curve": [{"step": 5, "dev_loss": 1.2}, {"step": 10, "dev_loss": 0.9}]}
    assert repro.step_ratio(pretrained, scratch) == 0.5
    assert repro.step_ratio(scratch, pretrained) is None


def test_markdown_table_has_one_row_per_labelled_size(smoke):
    result, _ = smoke
    rows = repro.markdown_table(result).splitlines()
    assert len(rows) == 2 + len(repro.SMOKE.train_sizes)
    assert rows[2].startswith(f"| {repro.SMOKE.train_sizes[0]} |")
