"""The scores of the seeds' benchmarks as plain functions over label arrays (no Hub, no scikit-learn).

GLUE (Wang et al. 2019, Table 1): accuracy; F1 of the positive class (MRPC, QQP); Matthews
correlation (CoLA); Pearson and Spearman correlations (STS-B). SQuAD v1.1 (Rajpurkar et al. 2016):
exact match and token F1 after the official script's answer normalisation (lower case, no
punctuation, no articles, single spaces), maximised over the gold answers. Perplexity: exp of the
mean token negative log-likelihood. ROUGE (Lin 2004, §2 ROUGE-N and §3.1 sentence-level ROUGE-L):
F1 of clipped n-gram overlap and of the longest common subsequence, over lower-cased alphanumeric
tokens as google-research/rouge's default tokenizer makes them (no stemming), maximised over an
example's references and averaged. Tests check each against scikit-learn / scipy or hand values.
"""

from __future__ import annotations

import math
import re
import string
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = [
    "GLUE_TASK_METRICS",
    "accuracy",
    "f1",
    "glue_average",
    "glue_scores",
    "matthews_correlation",
    "pearson",
    "perplexity",
    "rouge_scores",
    "spearman",
    "squad_scores",
]


def _pair(predictions: Any, references: Any) -> tuple[np.ndarray, np.ndarray]:
    p, r = np.asarray(predictions), np.asarray(references)
    if p.shape != r.shape:
        raise ValueError(
            f"predictions have shape {p.shape} but references {r.shape}; expected one per reference"
        )
    if p.size == 0:
        raise ValueError("no predictions to score: expected at least one")
    return p, r


def accuracy(predictions: Any, references: Any) -> float:
    p, r = _pair(predictions, references)
    return float((p == r).mean())


def f1(predictions: Any, references: Any, average: str = "binary", positive: int = 1) -> float:
    """F1 of the positive class ("binary", GLUE's MRPC/QQP), or the "macro"/"micro" average over classes."""
    p, r = _pair(predictions, references)
    if average == "binary":
        classes = [positive]
    elif average in ("macro", "micro"):
        classes = sorted(set(r.tolist()) | set(p.tolist()))
    else:
        raise ValueError(f"average={average!r}; expected 'binary', 'macro' or 'micro'")
    tp = np.array([((p == c) & (r == c)).sum() for c in classes], dtype=float)
    fp = np.array([((p == c) & (r != c)).sum() for c in classes], dtype=float)
    fn = np.array([((p != c) & (r == c)).sum() for c in classes], dtype=float)
    if average == "micro":
        tp, fp, fn = tp.sum(keepdims=True), fp.sum(keepdims=True), fn.sum(keepdims=True)
    denominator = 2 * tp + fp + fn
    scores = np.divide(2 * tp, denominator, out=np.zeros_like(tp), where=denominator > 0)
    return float(scores.mean())


def matthews_correlation(predictions: Any, references: Any) -> float:
    """Multiclass Matthews correlation (Gorodkin 2004; scikit-learn's definition), 0 when undefined."""
    p, r = _pair(predictions, references)
    classes = sorted(set(r.tolist()) | set(p.tolist()))
    index = {c: i for i, c in enumerate(classes)}
    confusion = np.zeros((len(classes), len(classes)))
    np.add.at(confusion, ([index[x] for x in r.tolist()], [index[x] for x in p.tolist()]), 1)
    t, q = confusion.sum(axis=1), confusion.sum(axis=0)  # true and predicted counts per class
    correct, total = np.trace(confusion), confusion.sum()
    numerator = correct * total - t @ q
    denominator = math.sqrt(total**2 - q @ q) * math.sqrt(total**2 - t @ t)
    return float(numerator / denominator) if denominator else 0.0


def pearson(predictions: Any, references: Any) -> float:
    p, r = _pair(predictions, references)
    p, r = p.astype(float) - p.mean(), r.astype(float) - r.mean()
    denominator = math.sqrt((p @ p) * (r @ r))
    return float(p @ r / denominator) if denominator else 0.0


def _ranks(values: np.ndarray) -> np.ndarray:
    """Average ranks (ties share the mean of their positions), as scipy's rankdata."""
    order = values.argsort(kind="mergesort")
    ranks = np.empty(len(values))
    sorted_values = values[order]
    start = 0
    for end in range(1, len(values) + 1):
        if end == len(values) or sorted_values[end] != sorted_values[start]:
            ranks[order[start:end]] = (start + end - 1) / 2 + 1
            start = end
    return ranks


def spearman(predictions: Any, references: Any) -> float:
    p, r = _pair(predictions, references)
    return pearson(_ranks(p.astype(float)), _ranks(r.astype(float)))


def perplexity(mean_negative_log_likelihood: float) -> float:
    """exp(mean NLL in nats), e.g. of Trainer's `eval_loss` for a causal or masked LM."""
    if not math.isfinite(mean_negative_log_likelihood):
        raise ValueError(f"mean negative log-likelihood {mean_negative_log_likelihood} is not finite")
    return math.exp(mean_negative_log_likelihood)


GLUE_TASK_METRICS: dict[str, tuple[str, ...]] = {
    "cola": ("matthews_correlation",),
    "sst2": ("accuracy",),
    "mrpc": ("accuracy", "f1"),
    "stsb": ("pearson", "spearmanr"),
    "qqp": ("accuracy", "f1"),
    "mnli": ("accuracy",),
    "mnli_matched": ("accuracy",),
    "mnli_mismatched": ("accuracy",),
    "qnli": ("accuracy",),
    "rte": ("accuracy",),
    "wnli": ("accuracy",),
}
_SCORERS = {
    "accuracy": accuracy,
    "f1": f1,
    "matthews_correlation": matthews_correlation,
    "pearson": pearson,
    "spearmanr": spearman,
}


def glue_scores(task: str, predictions: Any, references: Any) -> dict[str, float]:
    """The metrics GLUE reports for `task`, and their mean as "score" (the leaderboard's per-task number)."""
    if task not in GLUE_TASK_METRICS:
        raise ValueError(f"unknown GLUE task {task!r}; expected one of {sorted(GLUE_TASK_METRICS)}")
    scores = {name: _SCORERS[name](predictions, references) for name in GLUE_TASK_METRICS[task]}
    scores["score"] = float(np.mean(list(scores.values())))
    return scores


def _normalize_answer(text: str) -> str:
    """SQuAD v1.1's official normalisation: lower case, drop punctuation and articles, squeeze spaces."""
    text = "".join(ch for ch in text.lower() if ch not in set(string.punctuation))
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def _token_f1(prediction: str, gold: str) -> float:
    predicted, reference = _normalize_answer(prediction).split(), _normalize_answer(gold).split()
    common = sum((Counter(predicted) & Counter(reference)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(predicted), common / len(reference)
    return 2 * precision * recall / (precision + recall)


def squad_scores(predictions: Sequence[str], references: Sequence[Sequence[str]]) -> dict[str, float]:
    """Exact match and F1 in percent, each the maximum over an example's gold answers, then averaged."""
    if len(predictions) != len(references):
        raise ValueError(f"{len(predictions)} predictions for {len(references)} questions; expected one each")
    if not predictions:
        raise ValueError("no predictions to score: expected at least one")
    exact, token_f1 = [], []
    for index, (prediction, golds) in enumerate(zip(predictions, references, strict=True)):
        if isinstance(golds, str) or not golds:
            raise ValueError(f"references[{index}] must be a non-empty list of answer strings, got {golds!r}")
        exact.append(max(float(_normalize_answer(prediction) == _normalize_answer(g)) for g in golds))
        token_f1.append(max(_token_f1(prediction, g) for g in golds))
    return {"exact_match": 100 * float(np.mean(exact)), "f1": 100 * float(np.mean(token_f1))}


def glue_average(task_scores: dict[str, dict[str, float] | float]) -> float:
    """The GLUE score: the mean over tasks of each task's score (the mean of its own metrics, as the
    leaderboard averages MRPC's F1 and accuracy, STS-B's two correlations, ...)."""
    if not task_scores:
        raise ValueError("no task scores to average: expected {task: glue_scores(...)} for at least one task")
    unknown = sorted(set(task_scores) - set(GLUE_TASK_METRICS))
    if unknown:
        raise ValueError(f"unknown GLUE task(s) {unknown}; expected some of {sorted(GLUE_TASK_METRICS)}")
    values = [v["score"] if isinstance(v, dict) else float(v) for v in task_scores.values()]
    return float(np.mean(values))


_ROUGE_TOKEN = re.compile(r"[a-z0-9]+")
ROUGE_KEYS = ("rouge1", "rouge2", "rougeL")


def _rouge_tokens(text: str) -> list[str]:
    return _ROUGE_TOKEN.findall(text.lower())


def _f_measure(overlap: int, predicted: int, gold: int) -> float:
    if overlap == 0:
        return 0.0
    precision, recall = overlap / predicted, overlap / gold
    return 2 * precision * recall / (precision + recall)


def _ngram_f1(predicted: list[str], gold: list[str], n: int) -> float:
    def grams(tokens: list[str]) -> Counter[tuple[str, ...]]:
        return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))

    ours, theirs = grams(predicted), grams(gold)
    return _f_measure(sum((ours & theirs).values()), sum(ours.values()), sum(theirs.values()))


def _lcs_length(a: list[str], b: list[str]) -> int:
    row = [0] * (len(b) + 1)  # one row of the classic dynamic programme: O(len(b)) memory
    for token in a:
        diagonal = 0
        for j, other in enumerate(b, start=1):
            diagonal, row[j] = row[j], diagonal + 1 if token == other else max(row[j], row[j - 1])
    return row[-1]


def _rouge_pair(predicted: list[str], gold: list[str]) -> dict[str, float]:
    return {
        "rouge1": _ngram_f1(predicted, gold, 1),
        "rouge2": _ngram_f1(predicted, gold, 2),
        "rougeL": _f_measure(_lcs_length(predicted, gold), len(predicted), len(gold)),
    }


def rouge_scores(predictions: Sequence[str], references: Sequence[str | Sequence[str]]) -> dict[str, float]:
    """Mean ROUGE-1, ROUGE-2 and ROUGE-L F1 (fractions in [0, 1], as `evaluate`'s rouge reports them).

    references: one string per prediction, or a list of strings (the best-matching one counts).
    """
    if len(predictions) != len(references):
        raise ValueError(
            f"{len(predictions)} predictions for {len(references)} references; expected one each"
        )
    if not predictions:
        raise ValueError("no predictions to score: expected at least one")
    totals = dict.fromkeys(ROUGE_KEYS, 0.0)
    for index, (prediction, golds) in enumerate(zip(predictions, references, strict=True)):
        golds = [golds] if isinstance(golds, str) else list(golds)
        if not golds or not all(isinstance(g, str) for g in golds):
            raise ValueError(
                f"references[{index}] must be a string or a non-empty list of strings, got {golds!r}"
            )
        ours = _rouge_tokens(prediction)
        per_reference = [_rouge_pair(ours, _rouge_tokens(gold)) for gold in golds]
        for key in ROUGE_KEYS:
            totals[key] += max(scores[key] for scores in per_reference)
    return {key: total / len(predictions) for key, total in totals.items()}
