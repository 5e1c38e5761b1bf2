"""`evaluate` modules that ship with hf_ssl: `hf_ssl.metrics.load(name)` never touches the Hub.

Each is an `evaluate.Metric` (so `add_batch`, `compute`, distributed gathering and `combine` work as
with `evaluate.load`) whose `_compute` calls the plain functions of `scores.py` / `tagging.py`.
Names: accuracy, f1, matthews_correlation, pearsonr, spearmanr, glue (config = the task, e.g.
"mrpc"), squad, seqeval (entity-level P/R/F1 for BIO/IOBES), perplexity (from mean token NLLs).
"""

from __future__ import annotations

from typing import Any

import datasets
import evaluate

from . import scores
from .tagging import entity_scores

_CITATION = "See the docstrings of hf_ssl.metrics.scores and hf_ssl.metrics.tagging."


def _features(prediction: Any, reference: Any) -> datasets.Features:
    return datasets.Features({"predictions": prediction, "references": reference})


_INT = datasets.Value("int64")
_FLOAT = datasets.Value("float64")


class _Metric(evaluate.Metric):
    description = ""
    prediction_feature: Any = _INT
    reference_feature: Any = _INT

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=self.description,
            citation=_CITATION,
            features=_features(self.prediction_feature, self.reference_feature),
        )


class Accuracy(_Metric):
    description = "Fraction of predictions equal to the reference label."

    def _compute(self, predictions: Any, references: Any) -> dict[str, float]:
        return {"accuracy": scores.accuracy(predictions, references)}


class F1(_Metric):
    description = "F1 of the positive class (average='binary'), or its macro/micro average over classes."

    def _compute(
        self, predictions: Any, references: Any, average: str = "binary", pos_label: int = 1
    ) -> dict[str, float]:
        return {"f1": scores.f1(predictions, references, average=average, positive=pos_label)}


class MatthewsCorrelation(_Metric):
    description = "Matthews correlation coefficient (GLUE's CoLA metric)."

    def _compute(self, predictions: Any, references: Any) -> dict[str, float]:
        return {"matthews_correlation": scores.matthews_correlation(predictions, references)}


class PearsonR(_Metric):
    description = "Pearson correlation of scores (GLUE's STS-B)."
    prediction_feature = reference_feature = _FLOAT

    def _compute(self, predictions: Any, references: Any) -> dict[str, float]:
        return {"pearsonr": scores.pearson(predictions, references)}


class SpearmanR(_Metric):
    description = "Spearman rank correlation of scores (GLUE's STS-B)."
    prediction_feature = reference_feature = _FLOAT

    def _compute(self, predictions: Any, references: Any) -> dict[str, float]:
        return {"spearmanr": scores.spearman(predictions, references)}


class Glue(_Metric):
    description = "The metrics GLUE reports for one task (config_name) and their mean, 'score'."

    def _info(self) -> evaluate.MetricInfo:
        if self.config_name not in scores.GLUE_TASK_METRICS:
            raise KeyError(
                f"GLUE task {self.config_name!r}; expected one of {sorted(scores.GLUE_TASK_METRICS)} "
                "(hf_ssl.metrics.load('glue', 'mrpc'))"
            )
        kind = _FLOAT if self.config_name == "stsb" else _INT
        return evaluate.MetricInfo(
            description=self.description, citation=_CITATION, features=_features(kind, kind)
        )

    def _compute(self, predictions: Any, references: Any) -> dict[str, float]:
        return scores.glue_scores(self.config_name, predictions, references)


class Squad(_Metric):
    description = "SQuAD v1.1 exact match and F1 (percent), with the official answer normalisation."
    prediction_feature = datasets.Value("string")
    reference_feature = datasets.Sequence(datasets.Value("string"))

    def _compute(self, predictions: Any, references: Any) -> dict[str, float]:
        return scores.squad_scores(predictions, references)


class Seqeval(_Metric):
    description = "Entity-level precision, recall, F1 (conlleval/seqeval rules) and token accuracy."
    prediction_feature = reference_feature = datasets.Sequence(datasets.Value("string"))

    def _compute(self, predictions: Any, references: Any) -> dict[str, Any]:
        return entity_scores(references, predictions)


class Perplexity(_Metric):
    description = "exp of the mean negative log-likelihood (nats) over the given per-token losses."
    prediction_feature = _FLOAT
    reference_feature = _FLOAT

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=self.description,
            citation=_CITATION,
            features=datasets.Features({"predictions": _FLOAT}),
        )

    def _compute(self, predictions: Any) -> dict[str, float]:
        losses = list(predictions)
        if not losses:
            raise ValueError("no losses given: expected per-token negative log-likelihoods")
        return {"perplexity": scores.perplexity(sum(losses) / len(losses))}


class Rouge(_Metric):
    description = "ROUGE-1, ROUGE-2 and ROUGE-L F1 (Lin 2004), lower-cased alphanumeric tokens, no stemming."
    prediction_feature = reference_feature = datasets.Value("string")

    def _compute(self, predictions: Any, references: Any) -> dict[str, float]:
        return scores.rouge_scores(predictions, references)


METRICS: dict[str, type[_Metric]] = {
    "accuracy": Accuracy,
    "f1": F1,
    "matthews_correlation": MatthewsCorrelation,
    "pearsonr": PearsonR,
    "spearmanr": SpearmanR,
    "glue": Glue,
    "squad": Squad,
    "seqeval": Seqeval,
    "perplexity": Perplexity,
    "rouge": Rouge,
}


def load(name: str, config_name: str | None = None, **kwargs: Any) -> evaluate.Metric:
    """The offline twin of `evaluate.load(name, config_name)` for the metrics the seeds report."""
    if name not in METRICS:
        raise ValueError(f"unknown metric {name!r}; hf_ssl ships {sorted(METRICS)}")
    return METRICS[name](config_name=config_name, **kwargs)
