"""Entity-level tagging metrics: hand-checked cases and agreement with seqeval on random sequences."""

from __future__ import annotations

import random

import numpy as np
import pytest
from transformers import EvalPrediction

from hf_ssl.metrics import compute_tagging_metrics, entity_scores, extract_entities

seqeval = pytest.importorskip("seqeval.metrics", reason="needs the optional test dependency seqeval")


def test_entities_of_bio_and_iobes_sequences():
    assert extract_entities(["B-PER", "I-PER", "O", "B-LOC"]) == [("PER", 0, 1), ("LOC", 3, 3)]
    assert extract_entities(["O", "I-PER", "I-PER", "B-PER"]) == [("PER", 1, 2), ("PER", 3, 3)]
    assert extract_entities(["B-PER", "I-LOC"]) == [("PER", 0, 0), ("LOC", 1, 1)]  # type change splits
    assert extract_entities(["S-PER", "B-LOC", "I-LOC", "E-LOC", "O"]) == [("PER", 0, 0), ("LOC", 1, 3)]


def test_an_entity_is_correct_only_with_exact_boundaries_and_type():
    references = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "O"]]
    predictions = [["B-PER", "O", "O", "B-LOC"], ["B-ORG", "O"]]
    scores = entity_scores(references, predictions)
    assert scores["precision"] == pytest.approx(2 / 3)
    assert scores["recall"] == pytest.approx(2 / 3)
    assert scores["per_type"]["PER"]["f1"] == 0.0 and scores["per_type"]["LOC"]["f1"] == 1.0
    assert scores["accuracy"] == pytest.approx(5 / 6)


@pytest.mark.parametrize("scheme", ["BIO", "IOBES"])
def test_scores_equal_seqeval_on_random_tag_sequences(scheme):
    rng = random.Random(0)
    prefixes = "BI" if scheme == "BIO" else "BIES"
    tags = ["O"] + [f"{p}-{t}" for p in prefixes for t in ("PER", "LOC", "MISC")]
    for _ in range(30):
        references, predictions = [], []
        for _ in range(rng.randint(1, 6)):
            length = rng.randint(1, 9)
            references.append([rng.choice(tags) for _ in range(length)])
            predictions.append([rng.choice(tags) if rng.random() < 0.5 else r for r in references[-1]])
        ours = entity_scores(references, predictions)
        assert ours["f1"] == pytest.approx(seqeval.f1_score(references, predictions))
        assert ours["precision"] == pytest.approx(seqeval.precision_score(references, predictions))
        assert ours["recall"] == pytest.approx(seqeval.recall_score(references, predictions))
        assert ours["accuracy"] == pytest.approx(seqeval.accuracy_score(references, predictions))
        for sentence in references:
            assert extract_entities(sentence) == [
                (t, s, e) for t, s, e in seqeval.sequence_labeling.get_entities(sentence)
            ]


def test_trainer_helper_prefers_decoded_paths_and_drops_ignored_positions():
    id2label = {0: "O", 1: "B-PER", 2: "I-PER"}
    labels = np.array([[-100, 1, 2, 0, -100], [-100, 0, 1, -100, -100]])
    logits = np.zeros((2, 5, 3))
    logits[..., 0] = 1.0  # argmax says O everywhere
    decoded = np.array([[-100, 1, 2, 0, -100], [-100, 0, 1, -100, -100]])
    metrics = compute_tagging_metrics(id2label)
    assert metrics(EvalPrediction(predictions=(logits, decoded), label_ids=labels))["f1"] == 1.0
    assert metrics(EvalPrediction(predictions=logits, label_ids=labels))["f1"] == 0.0


def test_mismatched_inputs_raise():
    with pytest.raises(ValueError, match="sentence 0 has 2 reference tags but 1 predicted"):
        entity_scores([["O", "O"]], [["O"]])
    with pytest.raises(ValueError, match="1 reference sentences but 2 predicted"):
        entity_scores([["O"]], [["O"], ["O"]])
    with pytest.raises(TypeError, match="tags must be strings"):
        extract_entities([1, 2])
