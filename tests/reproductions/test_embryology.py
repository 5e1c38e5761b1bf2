"""Smoke tier of benchmarks/reproductions/embryology.py (claim 7) on a small generated
word/TAG file (the full tier reads People's Daily), and the pieces the verdict rests on. No
direction is asserted: a dozen steps teach the tiny BERT nothing."""

from __future__ import annotations

import json
import random

import pytest

from benchmarks.reproductions import embryology as em

WORDS = {
    "n": ["人民", "经济", "国家", "工作", "问题", "企业"],
    "v": ["发展", "建设", "进行", "提高", "加强"],
    "p": ["在", "对", "把", "从"],
    "u": ["的", "了", "着"],
    "c": ["和", "但", "并"],
    "w": ["，", "。"],
    "a": ["新", "大", "重要"],
}


@pytest.fixture(scope="module")
def tagged_file(tmp_path_factory):
    rng = random.Random(0)
    lines = []
    for _ in range(400):
        tags = [rng.choice(list(WORDS)) for _ in range(rng.randint(4, 12))] + ["w"]
        lines.append("  ".join(f"{rng.choice(WORDS[t])}/{t}" for t in tags))
    path = tmp_path_factory.mktemp("embryology") / "tagged.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_words_map_to_coarse_classes_and_specials_to_none():
    vocabulary = em.build_vocabulary([{"tokens": ["的", "人民", "的"], "tags": ["u", "n", "u"]}], 10)
    assert vocabulary["的"] == em.SPECIALS  # the most frequent word takes the first free id
    ids, classes = em.encode({"tokens": ["的", "人民", "未知"], "tags": ["u", "n", "xx"]}, vocabulary)
    assert ids == [em.CLS, vocabulary["的"], vocabulary["人民"], em.UNK, em.SEP]
    names = list(em.CLASSES)
    assert classes == [-1, names.index("function"), names.index("noun"), -1, -1]


def test_t50_is_the_first_step_at_half_the_final_accuracy():
    history = [
        {"step": 0.0, "accuracy_noun": 0.0},
        {"step": 10.0, "accuracy_noun": 0.2},
        {"step": 20.0, "accuracy_noun": 0.3},
    ]
    assert em.t50(history, "accuracy_noun") == 10.0
    assert em.t50(history, "accuracy_verb") is None
    assert em.t50([{"step": 0.0, "accuracy_verb": 0.0}], "accuracy_verb") is None  # never learnt


def test_the_smoke_tier_writes_curves_per_class_and_band_and_a_png(tagged_file, tmp_path):
    pytest.importorskip("matplotlib", reason="the PNG needs matplotlib (the test extra)")
    em.run("smoke", tmp_path, data=tagged_file)
    result = json.loads((tmp_path / "embryology.json").read_text())
    for key in ("versions", "settings", "corpus", "thresholds", "runs", "analysis", "outcome"):
        assert key in result
    histories = result["runs"][0]["histories"]
    assert [point["step"] for point in histories["pos"]] == [0.0, 4.0, 8.0, 12.0]
    assert "accuracy_function" in histories["pos"][-1] and "accuracy_frequent" in histories["frequency"][-1]
    assert result["outcome"] in ("reproduced", "not reproduced", "invalid (gate failed)")
    assert (tmp_path / "embryology.png").stat().st_size > 10_000
