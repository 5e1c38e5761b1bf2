"""Model cards: each family's template (hf_ssl/model_cards/<family>.md) rendered as a Hub ModelCard.

The templates are package data, so an installed hf_ssl renders them; the repository's top-level
`model_cards/` is a symlink to them. Each has YAML front matter (license, tags) and `{{ model_name }}`,
`{{ training_data }}`, `{{ evaluation }}` placeholders. The metadata is built with huggingface_hub's
ModelCardData and EvalResult, so `ModelCard.load` and `metadata_load` parse it, including a
model-index with the run's metrics (Hub model card spec: huggingface_hub/templates/modelcard_template.md,
repocard_data.py).

`write_model_card` is a save hook (hf_ssl.io.SAVE_HOOKS): every `save_pretrained` writes README.md;
AtomicSaveMixin keeps a README.md already in the target directory, and `push_to_hub` keeps a card
already in the repository.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping, Sequence
from importlib import resources
from numbers import Real
from pathlib import Path
from typing import Any, cast

from huggingface_hub import EvalResult, ModelCard, ModelCardData

from ..models.registry import FAMILIES

logger = logging.getLogger(__name__)

MODEL_TYPE_PREFIX = "hf_ssl_"
LIBRARY_TAG = "hf_ssl"
CARD_FILENAME = "README.md"
_TEMPLATE_DIR = "model_cards"
_PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")
HELD_OUT_SPLIT = "held-out"  # the model-index split (and dataset, if none is named) of run metrics
DEFAULT_TRAINING_DATA = (
    "Not recorded with this checkpoint (the card was written by `save_pretrained`); add the corpus, "
    "tokenizer and optimisation settings here."
)
DEFAULT_EVALUATION = "No evaluation was recorded with this checkpoint."

# (Hub task id, what the pretraining task is) per family: the model-index entry's task.
FAMILY_TASKS: dict[str, tuple[str, str]] = {name: spec.hub_task for name, spec in FAMILIES.items()}
# Downstream heads, by class-name suffix: (pipeline tag or None, the task). A checkpoint saved with
# one of these is a fine-tuned model, and its card says so; any other head keeps the family's card.
# transformers 5 has no question-answering or multiple-choice pipeline, so those cards name none.
DOWNSTREAM_HEADS: dict[str, tuple[str | None, str]] = {
    "ForSequenceClassification": ("text-classification", "Text classification"),
    "ForTokenClassification": ("token-classification", "Token classification"),
    "ForQuestionAnswering": (None, "Extractive question answering"),
    "ForMultipleChoice": (None, "Multiple choice"),
}
# Readable names and Hub metric types for the metrics hf_ssl's recipes report.
_METRIC_NAMES: dict[str, tuple[str, str]] = {
    "eval_loss": ("loss", "Held-out loss (nats per predicted token)"),
    "eval_perplexity_bound": ("perplexity", "Held-out perplexity bound (exp of the loss)"),
    "eval_accuracy": ("accuracy", "Held-out accuracy"),
}
_LOADING = """
**Loading.** With hf_ssl installed: `import hf_ssl` then `AutoModel.from_pretrained(path)` (or any
Auto head the family supports). Without hf_ssl, `AutoModel.from_pretrained(path,
trust_remote_code=True)` runs the modeling code saved with the checkpoint (`hf_ssl_remote.py` and
the `hf_ssl_*.py` files beside it), which needs only transformers and torch.
"""


def family_of(config: Any) -> str:
    """The template family of a config: its model_type without the `hf_ssl_` prefix."""
    model_type = getattr(config, "model_type", None)
    if not isinstance(model_type, str) or not model_type.startswith(MODEL_TYPE_PREFIX):
        raise ValueError(
            f"model_type {model_type!r} is not an hf_ssl model type; expected one starting with "
            f"{MODEL_TYPE_PREFIX!r}"
        )
    return model_type.removeprefix(MODEL_TYPE_PREFIX)


def head_of(model: Any) -> str:
    """The class a checkpoint was saved with: the model's own, or the first of its config's
    `architectures` ("" when a bare config names none)."""
    if not hasattr(model, "config"):
        return str((getattr(model, "architectures", None) or [""])[0])
    return type(model).__name__


def downstream_task(model: Any) -> tuple[str | None, str] | None:
    """(pipeline tag, task) of a fine-tuned head; None for a pretraining head or a bare model."""
    head = head_of(model)
    return next((task for suffix, task in DOWNSTREAM_HEADS.items() if head.endswith(suffix)), None)


def _labels(config: Any) -> list[str]:
    """The label names a classifier was given (none for transformers' default LABEL_<i>)."""
    names = [str(name) for _, name in sorted((getattr(config, "id2label", None) or {}).items())]
    return [] if all(re.fullmatch(r"LABEL_\d+", name) for name in names) else names


def available_templates() -> list[str]:
    """Families that ship a card template."""
    folder = resources.files("hf_ssl") / _TEMPLATE_DIR
    return sorted(p.name.removesuffix(".md") for p in folder.iterdir() if p.name.endswith(".md"))


def _template_name(family: str) -> str:
    # A registered family names its template; any other family is looked up under its own name.
    spec = FAMILIES.get(family)
    return spec.card_template if spec is not None else family


def template_text(family: str) -> str:
    """The raw template (front matter + body) of `family`."""
    path = resources.files("hf_ssl") / _TEMPLATE_DIR / f"{_template_name(family)}.md"
    if not path.is_file():
        raise ValueError(
            f"no model card template for family {family!r}; expected one of {available_templates()}"
        )
    return path.read_text(encoding="utf-8")


def _fill(body: str, values: Mapping[str, str], family: str) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        # A template bug, not user input: every template uses only the documented placeholders.
        assert name in values, f"template {family}.md uses unknown placeholder {name!r}"
        return values[name]

    return _PLACEHOLDER.sub(replace, body)


def _check_metrics(metrics: Mapping[str, Any] | None) -> dict[str, float]:
    if metrics is None:
        return {}
    if not isinstance(metrics, Mapping):
        raise TypeError(f"metrics must be a mapping of name to number, got {type(metrics).__name__}")
    checked = {}
    for name, value in metrics.items():
        if not isinstance(name, str) or isinstance(value, bool) or not isinstance(value, Real):
            raise TypeError(f"metrics[{name!r}] = {value!r}; expected a str name and a real number")
        if not math.isfinite(value):
            raise ValueError(f"metrics[{name!r}] = {value!r}; expected a finite number")
        checked[name] = float(value)
    return checked


def _as_list(value: str | Sequence[str] | None, name: str) -> list[str]:
    if value is None:
        return []
    values = [value] if isinstance(value, str) else list(value)
    if not all(isinstance(v, str) and v for v in values):
        raise TypeError(f"{name} must be a non-empty string or a list of them, got {value!r}")
    return values


def _metrics_table(metrics: Mapping[str, float]) -> str:
    rows = [f"| {_METRIC_NAMES.get(k, (k, k))[1]} | {v:.4g} |" for k, v in metrics.items()]
    # The table starts a new paragraph: markdown renders no table that begins mid-line.
    return "\n\n" + "\n".join(["| metric | value |", "|---|---|", *rows])


def render_model_card(
    model: Any,
    *,
    model_name: str | None = None,
    training_data: str | None = None,
    evaluation: str | None = None,
    metrics: Mapping[str, float] | None = None,
    datasets: str | Sequence[str] | None = None,
    base_model: str | Sequence[str] | None = None,
) -> ModelCard:
    """The family's card for `model` (a model or its config) with valid Hub metadata.

    Args:
        model_name: the card's title and the model-index name (default: the checkpoint's name or
            `hf_ssl-<family>`).
        training_data: markdown for "Training data and hyperparameters".
        evaluation: markdown for "Evaluation"; by default a table of `metrics`.
        metrics: held-out results of the run ({"eval_loss": 3.2, ...}); each becomes a model-index
            entry (metric type without the `eval_` prefix) evaluated on the first of `datasets`.
        datasets: Hub dataset ids or corpus names the model was trained on.
        base_model: the checkpoint(s) this one was fine-tuned from.
    """
    config = getattr(model, "config", model)
    family = family_of(config)
    template = ModelCard(template_text(family), ignore_metadata_errors=False)
    template_data = cast(ModelCardData, template.data)  # a ModelCard's metadata is ModelCardData
    checked = _check_metrics(metrics)
    dataset_list = _as_list(datasets, "datasets")
    base_models = _as_list(base_model, "base_model")
    if model_name is None:
        name_or_path = str(getattr(config, "_name_or_path", "") or "")
        model_name = Path(name_or_path).name or f"hf_ssl-{family}"
    elif not isinstance(model_name, str) or not model_name:
        raise TypeError(f"model_name must be a non-empty string, got {model_name!r}")
    for name, text in (("training_data", training_data), ("evaluation", evaluation)):
        if text is not None and not isinstance(text, str):
            raise TypeError(f"{name} must be a markdown string, got {type(text).__name__}")

    task_type, task_name = FAMILY_TASKS.get(family, ("other", "Pretraining"))
    pipeline_tag: str | None = task_type if task_type != "other" else None
    finetuned = downstream_task(model)
    if finetuned is not None:
        pipeline_tag, task_name = finetuned
        task_type = pipeline_tag or task_name.lower().replace(" ", "-")
    eval_dataset = dataset_list[0] if dataset_list else HELD_OUT_SPLIT
    eval_results = [
        EvalResult(
            task_type=task_type,
            task_name=task_name,
            dataset_type=eval_dataset,
            dataset_name=eval_dataset,
            dataset_split=HELD_OUT_SPLIT,
            metric_type=_METRIC_NAMES.get(key, (key.removeprefix("eval_"), key))[0],
            metric_name=_METRIC_NAMES.get(key, (key, key))[1],
            metric_value=value,
        )
        for key, value in checked.items()
    ]
    tags = list(template_data.tags or [])
    if finetuned is not None:  # the pretraining task is no longer what the checkpoint does
        tags = [tag for tag in tags if tag != FAMILY_TASKS.get(family, ("",))[0]]
        tags += [pipeline_tag] if pipeline_tag else []
    for tag in (LIBRARY_TAG, family):
        if tag not in tags:
            tags.append(tag)
    data = ModelCardData(
        license=template_data.license,
        library_name="transformers",
        tags=tags,
        pipeline_tag=pipeline_tag,
        datasets=dataset_list or None,
        base_model=base_models[0] if len(base_models) == 1 else base_models or None,
        model_name=model_name,
        eval_results=eval_results or None,
    )
    if evaluation is None:
        evaluation = _metrics_table(checked) if checked else DEFAULT_EVALUATION
    values = {
        "model_name": model_name,
        "training_data": training_data if training_data is not None else DEFAULT_TRAINING_DATA,
        "evaluation": evaluation,
    }
    body = _fill(template.text, values, family).rstrip("\n") + "\n" + _LOADING
    if finetuned is not None:
        title, _, rest = body.partition("\n")
        body = f"{title}\n\n{_finetuned_paragraph(model, config, task_name, base_models)}\n{rest}"
    return ModelCard(f"---\n{data.to_yaml()}\n---\n{body}")


def _finetuned_paragraph(model: Any, config: Any, task: str, base_models: list[str]) -> str:
    """What the fine-tuned checkpoint is, ahead of its family's description."""
    start = f" from `{'`, `'.join(base_models)}`" if base_models else ""
    labels = _labels(config)
    named = f"; labels: {', '.join(f'`{label}`' for label in labels)}" if labels else ""
    return f"**Fine-tuned.** `{head_of(model)}`, fine-tuned{start} for {task.lower()}{named}."


def write_model_card(model: Any, directory: Path) -> None:
    """Save hook: write the family's card as README.md (AtomicSaveMixin keeps a README already there)."""
    config = getattr(model, "config", model)
    try:
        family = family_of(config)
    except ValueError:
        return  # a subclass with its own model_type: there is no template to render
    if _template_name(family) not in available_templates():
        logger.info("no model card template for family %r; README.md not written", family)
        return
    path = Path(directory) / CARD_FILENAME
    if not path.exists():
        render_model_card(model).save(path)
