"""`hf-ssl demo`: the main job end to end, and the baseline it must beat.

`demo` pretrains a model (`pretrain`) on the embedded corpus without the sentences the downstream
task evaluates on, then fine-tunes it on the sentence-mood task built from that corpus
(`hf_ssl.data.tasks`) with several seeds, and fine-tunes the same architecture randomly initialised
with the same seeds: the paired difference between the two accuracies is what pretraining bought.
"""

from __future__ import annotations

import json
import statistics
import tempfile
from pathlib import Path
from typing import Any

from transformers import AutoConfig, AutoModelForPreTraining, AutoTokenizer

from ..data import load_default_corpus, read_documents
from ..data.tasks import MOODS, sentence_mood_examples, without_examples, write_task_files
from ..io import atomic_directory, check_output_directory
from ..plots import save_finetuning_curves
from .common import check_model_directory
from .finetuning import finetune
from .pretraining import pretrain
from .settings import FinetuneSettings, PretrainSettings

RUNS = ("pretrained", "from_scratch")  # the two starting points of fine-tuning
SEEDS = 3  # fine-tuning seeds per starting point
CURVES = "finetuning_curves.png"
RESULTS = "results.json"


def task_directory(output: str) -> Path:
    """Where the demo writes its task, classifiers, figure and results: `<output>-mood`, beside the model."""
    return Path(output).with_name(Path(output).name + "-mood")


def demo(
    settings: PretrainSettings,
    *,
    epochs: float = FinetuneSettings.epochs,
    batch_size: int = FinetuneSettings.batch_size,
    learning_rate: float = FinetuneSettings.learning_rate,
    seeds: int = SEEDS,
) -> dict[str, Any]:
    """Pretrain with `settings`, then fine-tune on sentence mood from the pretrained weights and from
    scratch with `seeds` seeds each; return every run's metrics and their summary.

    Writes the pretrained model to `settings.output` and, in `task_directory(settings.output)`,
    the task's files (`task/train.csv`, `task/dev.csv`), the classifiers (`pretrained-seed<k>`,
    `from_scratch-seed<k>`), the fine-tuning curves of both starting points on one plot
    (`finetuning_curves.png`) and `results.json`. Both directories are checked before any training,
    and `settings.overwrite` applies to them. The task split takes `settings.seed`; fine-tuning run
    k of either starting point takes seed `settings.seed + k`, so the two runs of a seed share their
    classifier initialisation and batch order. The dev sentences are removed from the pretraining
    text, which would otherwise show them with their final marks (the labels).
    """
    if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1:
        raise ValueError(f"seeds={seeds!r}; expected an integer >= 1")
    runs_dir = task_directory(settings.output)
    for output in (Path(settings.output), runs_dir):
        check_output_directory(output, overwrite=settings.overwrite)  # before any training
    embedded = load_default_corpus()
    runs_dir.mkdir(parents=True, exist_ok=True)
    train_file, eval_file = write_task_files(
        sentence_mood_examples(embedded, seed=settings.seed), runs_dir / "task"
    )
    corpus = embedded if settings.corpus is None else read_documents(settings.corpus)
    dev_rows = _read_rows(eval_file)
    results: dict[str, Any] = {
        "pretraining": pretrain(settings, documents=without_examples(corpus, dev_rows))
    }

    def finetuning(model_dir: str, run: str, seed: int) -> FinetuneSettings:
        return FinetuneSettings(
            model_dir=model_dir,
            train_file=str(train_file),
            eval_file=str(eval_file),
            output=str(runs_dir / f"{run}-seed{seed}"),
            epochs=epochs,
            batch_size=batch_size,
            learning_rate=learning_rate,
            seed=seed,
            overwrite=settings.overwrite,
            show_progress=False,  # one line per run (its dev accuracy) above the final table
        )

    run_seeds = [settings.seed + k for k in range(seeds)]
    results["pretrained"] = [finetune(finetuning(settings.output, RUNS[0], seed)) for seed in run_seeds]
    with tempfile.TemporaryDirectory(prefix="hf-ssl-scratch-") as scratch:
        # The same architecture, randomly initialised: the baseline that pretraining must beat.
        save_untrained_twin(settings.output, scratch)
        results["from_scratch"] = [finetune(finetuning(scratch, RUNS[1], seed)) for seed in run_seeds]
    results["summary"] = summarize(results, run_seeds)
    with atomic_directory(runs_dir, overwrite=True) as staging:  # the directory checked above
        save_finetuning_curves(
            {name.replace("_", " "): [run["log_history"] for run in results[name]] for name in RUNS},
            staging / CURVES,
            title=f"sentence mood: fine-tuning from pretrained vs random weights ({seeds} seeds)",
        )
        (staging / RESULTS).write_text(json.dumps(results, indent=2, default=str))
    return results


def summarize(results: dict[str, Any], seeds: list[int]) -> dict[str, Any]:
    """Dev accuracy per starting point (per seed, mean, sample standard deviation) and the paired
    difference pretrained - from scratch; the pretraining's held-out MLM loss against the unigram
    entropy of its corpus."""
    accuracy = {name: [run["accuracy"] for run in results[name]] for name in RUNS}
    differences = [a - b for a, b in zip(accuracy[RUNS[0]], accuracy[RUNS[1]], strict=True)]
    pretraining = results["pretraining"]
    first = results[RUNS[0]][0]
    return {
        "seeds": seeds,
        "labels": first["labels"],
        "train_examples": first["train_examples"],
        "eval_examples": first["eval_examples"],
        **{name: _spread(values) for name, values in accuracy.items()},
        "difference": _spread(differences),
        "eval_mlm_loss": pretraining.get("eval_mlm_loss"),
        "unigram_entropy": pretraining["unigram_entropy"],
    }


def _spread(values: list[float]) -> dict[str, Any]:
    return {
        "values": values,
        "mean": statistics.fmean(values),
        "sd": statistics.stdev(values) if len(values) > 1 else 0.0,
    }


def results_table(summary: dict[str, Any]) -> str:
    """The demo's result as a Markdown table: dev accuracy per seed, mean ± sd, and the difference."""
    seeds = summary["seeds"]
    rows = [
        f"sentence mood ({len(summary['labels'])} classes: {', '.join(summary['labels'])}; "
        f"{summary['train_examples']:,} training and {summary['eval_examples']:,} dev sentences; "
        f"chance {1 / len(MOODS):.2f}), dev accuracy",
        "",
        "| start | " + " | ".join(f"seed {seed}" for seed in seeds) + " | mean ± sd |",
        "|---|" + "---|" * (len(seeds) + 1),
    ]
    for name, label in ((RUNS[0], "pretrained"), (RUNS[1], "from scratch"), ("difference", "difference")):
        cells = summary[name]
        sign = "+" if name == "difference" else ""
        rows.append(
            f"| {label} | "
            + " | ".join(f"{value:{sign}.3f}" for value in cells["values"])
            + f" | {cells['mean']:{sign}.3f} ± {cells['sd']:.3f} |"
        )
    if summary.get("eval_mlm_loss") is not None:
        gap = summary["unigram_entropy"] - summary["eval_mlm_loss"]
        rows += [
            "",
            f"held-out MLM loss {summary['eval_mlm_loss']:.2f} nats; the corpus's unigram entropy "
            f"{summary['unigram_entropy']:.2f} ({gap:+.2f} learnt from context)",
        ]
    return "\n".join(rows)


def _read_rows(path: Path) -> list[dict[str, str]]:
    import csv

    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def save_untrained_twin(pretrained_dir: str, target: str) -> None:
    """Save to `target` a randomly initialised model of `pretrained_dir`'s config, and its tokenizer."""
    check_model_directory(pretrained_dir, "pretrained_dir")
    config = AutoConfig.from_pretrained(pretrained_dir)
    AutoModelForPreTraining.from_config(config).save_pretrained(target)
    AutoTokenizer.from_pretrained(pretrained_dir).save_pretrained(target)
