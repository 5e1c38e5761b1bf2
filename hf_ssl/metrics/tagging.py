"""Entity-level precision, recall and F1 for BIO / IOBES tag sequences, as CoNLL's `conlleval` counts them.

The chunking rules are those of `conlleval` and of seqeval's default mode (chakki-works/seqeval
`seqeval/metrics/sequence_labeling.py`: `get_entities`, `start_of_chunk`, `end_of_chunk`), so the
numbers equal seqeval's `f1_score` / `precision_score` / `recall_score` (micro average); tests
compare against seqeval itself. The rules are lenient: an I-X after O, or after a tag of another
type, opens an entity, which is what `conlleval` does. One rule set serves BIO and IOBES.

An entity counts as correct only when its type, start and end all match. Sentences are separate:
an entity never spans two of them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ..constants import IGNORE_INDEX

__all__ = ["compute_tagging_metrics", "entity_scores", "extract_entities"]

OUTSIDE = "O"

Entity = tuple[str, int, int]
"""(type, first token, last token), both ends inclusive, as seqeval's `get_entities`."""


def _split(tag: str) -> tuple[str, str]:
    if not isinstance(tag, str):
        raise TypeError(f"tags must be strings such as 'B-PER' or 'O', got {tag!r}")
    if tag == OUTSIDE:
        return OUTSIDE, ""
    prefix, kind = tag[0], tag[1:].split("-", maxsplit=1)[-1] or "_"
    return prefix, kind


def _ends(prev: str, prev_type: str, tag: str, kind: str) -> bool:
    """conlleval `endOfChunk`: does the entity open at the previous tag close before this one?"""
    if prev in ("E", "S"):
        return True
    if prev in ("B", "I") and tag in ("B", "S", OUTSIDE):
        return True
    return prev != OUTSIDE and prev_type != kind


def _starts(prev: str, prev_type: str, tag: str, kind: str) -> bool:
    """conlleval `startOfChunk`: does an entity open at this tag?"""
    if tag in ("B", "S"):
        return True
    if prev in ("E", "S", OUTSIDE) and tag in ("E", "I"):
        return True
    return tag != OUTSIDE and prev_type != kind


def extract_entities(tags: Sequence[str]) -> list[Entity]:
    """The entities of one sentence's tags: [(type, start, end)], end inclusive."""
    entities: list[Entity] = []
    prev, prev_type, begin = OUTSIDE, "", 0
    for index, tag in enumerate([*tags, OUTSIDE]):
        prefix, kind = _split(tag)
        if _ends(prev, prev_type, prefix, kind):
            entities.append((prev_type, begin, index - 1))
        if _starts(prev, prev_type, prefix, kind):
            begin = index
        prev, prev_type = prefix, kind
    return entities


def _prf(correct: int, predicted: int, gold: int) -> dict[str, float]:
    precision = correct / predicted if predicted else 0.0
    recall = correct / gold if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "number": gold}


def entity_scores(
    references: Sequence[Sequence[str]], predictions: Sequence[Sequence[str]]
) -> dict[str, Any]:
    """Micro precision / recall / F1 over all entities, per-type scores, and token accuracy.

    references, predictions: one list of tags per sentence, the same lengths. Returns
    {"precision", "recall", "f1", "accuracy", "per_type": {type: {precision, recall, f1, number}}}.
    """
    if len(references) != len(predictions):
        raise ValueError(f"{len(references)} reference sentences but {len(predictions)} predicted ones")
    gold: Counter[str] = Counter()
    found: Counter[str] = Counter()
    hits: Counter[str] = Counter()
    tokens = same = 0
    for index, (reference, prediction) in enumerate(zip(references, predictions, strict=True)):
        if len(reference) != len(prediction):
            raise ValueError(
                f"sentence {index} has {len(reference)} reference tags but {len(prediction)} predicted ones"
            )
        true_entities = set(extract_entities(reference))
        predicted_entities = set(extract_entities(prediction))
        gold.update(kind for kind, _, _ in true_entities)
        found.update(kind for kind, _, _ in predicted_entities)
        hits.update(kind for kind, _, _ in true_entities & predicted_entities)
        tokens += len(reference)
        same += sum(r == p for r, p in zip(reference, prediction, strict=True))
    scores: dict[str, Any] = _prf(sum(hits.values()), sum(found.values()), sum(gold.values()))
    del scores["number"]
    scores["accuracy"] = same / tokens if tokens else 0.0
    scores["per_type"] = {kind: _prf(hits[kind], found[kind], gold[kind]) for kind in sorted(gold | found)}
    return scores


def compute_tagging_metrics(id2label: Mapping[int, str]) -> Callable[[Any], dict[str, float]]:
    """A Trainer `compute_metrics` that scores token-classification predictions at the entity level.

    Uses the model's decoded paths when the predictions carry them (TagLM returns `logits` and
    Viterbi `predictions`: Trainer hands both over as a tuple) and the logits' argmax otherwise.
    Positions labelled IGNORE_INDEX (special tokens, padding, subword continuations) are dropped.
    """
    names = {int(k): v for k, v in id2label.items()}

    def compute(evaluation: Any) -> dict[str, float]:
        predictions, labels = evaluation.predictions, evaluation.label_ids
        if isinstance(predictions, tuple | list):
            decoded = [p for p in predictions if np.asarray(p).shape == np.asarray(labels).shape]
            predictions = decoded[0] if decoded else predictions[0]
        predictions = np.asarray(predictions)
        if predictions.ndim == 3:
            predictions = predictions.argmax(-1)
        references, predicted = [], []
        for prediction_row, label_row in zip(predictions, np.asarray(labels), strict=True):
            keep = label_row != IGNORE_INDEX
            references.append([names[int(i)] for i in label_row[keep]])
            predicted.append([names.get(int(i), OUTSIDE) for i in prediction_row[keep]])
        scores = entity_scores(references, predicted)
        result = {k: v for k, v in scores.items() if k != "per_type"}
        for kind, values in scores["per_type"].items():
            result[f"{kind}_f1"] = values["f1"]
        return result

    return compute
