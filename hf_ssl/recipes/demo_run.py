"""`hf-ssl demo`: the main job end to end, and the baseline it must beat.

`demo` pretrains a model (`pretrain`), then fine-tunes it on the sentence-mood task built from the
embedded corpus (`hf_ssl.data.tasks`), and fine-tunes the same architecture randomly initialised
on the same task: the difference between the two accuracies is what pretraining bought.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from transformers import AutoConfig, AutoModelForPreTraining, AutoTokenizer

from ..data import load_default_corpus
from ..data.tasks import sentence_mood_examples, write_task_files
from ..io import check_output_directory
from ..models.registry import check_known_family
from .finetuning import finetune
from .pretraining import pretrain
from .settings import FinetuneSettings, PretrainSettings

RUNS = ("pretrained", "from_scratch")  # the demo's two fine-tuning runs


def demo(
    settings: PretrainSettings,
    *,
    epochs: float = FinetuneSettings.epochs,
    batch_size: int = FinetuneSettings.batch_size,
    learning_rate: float = FinetuneSettings.learning_rate,
) -> dict[str, Any]:
    """Pretrain with `settings`, then fine-tune on sentence mood from the pretrained weights and from
    scratch; return {"pretraining": ..., "pretrained": ..., "from_scratch": ...}, each run's metrics.

    Next to `settings.output` it writes the task's files (`<output>-mood-task`) and the two
    classifiers (`<output>-mood-pretrained`, `<output>-mood-from_scratch`); every one of these
    directories is checked before any training. `epochs`, `batch_size` and `learning_rate` are the
    fine-tuning runs'; the task split and both fine-tuning runs take `settings.seed`, and
    `settings.overwrite` applies to every directory.
    """
    task_dir = Path(settings.output).with_name(Path(settings.output).name + "-mood-task")
    outputs = [Path(settings.output), task_dir, *(Path(f"{settings.output}-mood-{run}") for run in RUNS)]
    for output in outputs:
        check_output_directory(output, overwrite=settings.overwrite)  # before any training
    pretrained = pretrain(settings)
    train_file, eval_file = write_task_files(
        sentence_mood_examples(load_default_corpus(), seed=settings.seed), task_dir
    )

    def finetuning(model_dir: str, run: str) -> FinetuneSettings:
        return FinetuneSettings(
            model_dir=model_dir,
            train_file=str(train_file),
            eval_file=str(eval_file),
            output=f"{settings.output}-mood-{run}",
            epochs=epochs,
            batch_size=batch_size,
            learning_rate=learning_rate,
            seed=settings.seed,
            overwrite=settings.overwrite,
        )

    results = {"pretraining": pretrained}
    results["pretrained"] = finetune(finetuning(settings.output, RUNS[0]))
    with tempfile.TemporaryDirectory(prefix="hf-ssl-scratch-") as scratch:
        # The same architecture, randomly initialised: the baseline that pretraining must beat.
        _save_untrained_twin(settings.output, scratch)
        results["from_scratch"] = finetune(finetuning(scratch, RUNS[1]))
    return results


def _save_untrained_twin(pretrained_dir: str, target: str) -> None:
    """Save to `target` a randomly initialised model of `pretrained_dir`'s config, and its tokenizer."""
    check_known_family(pretrained_dir)
    config = AutoConfig.from_pretrained(pretrained_dir)
    AutoModelForPreTraining.from_config(config).save_pretrained(target)
    AutoTokenizer.from_pretrained(pretrained_dir).save_pretrained(target)
