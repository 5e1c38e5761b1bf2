"""Trainer integration: component-loss logging, resumable collator noise, atomic checkpoints.

Trainer logs only `loss`. Models with several objectives (ELECTRA's generator MLM, discriminator
RTD loss and accuracy) record their last values in `_last_losses`; this callback averages them over
the optimizer steps since the previous log and adds them to Trainer's logs and `state.log_history`.

Collators keep their noise in a generator stream that a Trainer resume cannot rewind;
`ResumableNoiseCallback` keys it on (seed, epoch, batch) instead.
Trainer writes `checkpoint-N` file by file and resumes from the highest N even when that save was cut
short; `SafeCheckpointTrainer` removes or skips such a directory.
"""

from __future__ import annotations

import logging
import math
import os
import re
import shutil
from collections import defaultdict
from pathlib import Path
from typing import Any

from transformers import Trainer, TrainerCallback
from transformers.trainer_utils import PREFIX_CHECKPOINT_DIR

logger = logging.getLogger(__name__)

# Trainer writes this file last in every checkpoint (transformers.trainer.TRAINER_STATE_NAME).
TRAINER_STATE_NAME = "trainer_state.json"
_CHECKPOINT_NAME = re.compile(rf"{PREFIX_CHECKPOINT_DIR}-(\d+)")

# state.epoch is a float sum of step fractions; this absorbs its rounding at epoch boundaries.
_EPOCH_TOLERANCE = 1e-6


class ComponentLossCallback(TrainerCallback):
    """Adds the model's `_last_losses` (averaged between logs) to every Trainer log entry."""

    def __init__(self) -> None:
        self._sums: dict[str, float] = defaultdict(float)
        self._steps = 0

    def on_step_end(self, args: Any, state: Any, control: Any, model: Any = None, **kwargs: Any) -> None:
        losses = getattr(getattr(model, "module", model), "_last_losses", None)
        if losses:
            for name, value in losses.items():
                self._sums[name] += value
            self._steps += 1

    def on_log(self, args: Any, state: Any, control: Any, logs: dict | None = None, **kwargs: Any) -> None:
        if logs is None or "loss" not in logs or not self._steps:
            return
        averages = {name: total / self._steps for name, total in self._sums.items()}
        logs.update(averages)
        if state.log_history and state.log_history[-1].get("step") == state.global_step:
            state.log_history[-1].update(averages)
        self._sums.clear()
        self._steps = 0


class ResumableNoiseCallback(TrainerCallback):
    """Makes a collator's noise a function of ``(seed, epoch, batch)`` so that a resumed run is exact.

    A collator's generator stream does not survive ``trainer.train(resume_from_checkpoint=...)``:
    Trainer skips the batches already trained without collating them and restores only the global
    RNGs, so the fresh collator would give step ``k`` the masks of step 1 (see
    ``hf_ssl.objectives.rng.CollatorRNG``). This switches every CollatorRNG the collator holds to
    keyed mode when training starts and tells it the epoch before each epoch's DataLoader iterator is
    built (Trainer calls ``on_epoch_begin`` first), so that non-persistent DataLoader workers copy it.
    With ``dataloader_persistent_workers=True`` the workers keep their first copy: every epoch then
    reuses epoch 0's key (a warning says so), so leave that option off. Pass the collator you gave
    Trainer.
    """

    def __init__(self, collator: Any) -> None:
        from hf_ssl.objectives.rng import collator_rngs

        self._rngs = collator_rngs(collator)
        if not self._rngs:
            raise ValueError(
                f"{type(collator).__name__} holds no CollatorRNG, so there is no noise to make resumable"
            )

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if getattr(args, "dataloader_persistent_workers", False) and args.dataloader_num_workers > 0:
            logger.warning(
                "dataloader_persistent_workers=True: the workers keep epoch 0's collator, so a batch "
                "that recurs unchanged in a later epoch gets the same noise again"
            )
        for rng in self._rngs:
            rng.set_keyed(True)

    def on_epoch_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        # A resumed run starts mid-epoch with state.epoch = e + fraction done; a finished epoch is e + 1.0.
        epoch = math.floor(state.epoch + _EPOCH_TOLERANCE)
        for rng in self._rngs:
            rng.set_epoch(epoch)


def is_complete_checkpoint(directory: str | os.PathLike[str]) -> bool:
    """True when Trainer finished writing ``directory``: trainer_state.json is the last file it writes."""
    return (Path(directory) / TRAINER_STATE_NAME).is_file()


def last_complete_checkpoint(output_dir: str | os.PathLike[str]) -> str | None:
    """The newest ``checkpoint-N`` under ``output_dir`` that Trainer finished writing, or None.

    Trainer's own ``get_last_checkpoint`` takes the highest step even when a crash or kill stopped
    that save half-way, and resuming from it then fails on the missing trainer_state.json, or, with
    the state written but optimizer.pt gone, silently restarts the optimizer.
    """
    root = Path(output_dir)
    if not root.is_dir():
        return None
    steps = []
    for path in root.iterdir():
        match = _CHECKPOINT_NAME.fullmatch(path.name)
        if match and path.is_dir():
            steps.append((int(match.group(1)), path))
    for _step, path in sorted(steps, reverse=True):
        if is_complete_checkpoint(path):
            return str(path)
        logger.warning("skipping %s: its save was interrupted (no %s)", path, TRAINER_STATE_NAME)
    return None


class SafeCheckpointsMixin:
    """Mix into ``Trainer`` so an interrupted checkpoint save never becomes the checkpoint resumed from.

    - A save that raises (disk full, KeyboardInterrupt) removes the half-written ``checkpoint-N``.
    - A save killed outright leaves a directory without trainer_state.json (written last);
      ``train(resume_from_checkpoint=True)`` skips it and resumes from the newest complete one.
    - Re-saving an existing step first removes its trainer_state.json, so the old marker never
      vouches for half-replaced files.
    The previous checkpoints are untouched either way, and the weights inside any checkpoint are whole
    (``save_pretrained`` is atomic: hf_ssl.io). Use ``SafeCheckpointTrainer`` or mix it in first.
    """

    def _save_checkpoint(self, model: Any, trial: Any) -> None:
        args = self.args  # type: ignore[attr-defined]
        run_dir = Path(self._get_output_dir(trial=trial))  # type: ignore[attr-defined]
        checkpoint = run_dir / f"{PREFIX_CHECKPOINT_DIR}-{self.state.global_step}"  # type: ignore[attr-defined]
        if args.should_save:
            (checkpoint / TRAINER_STATE_NAME).unlink(missing_ok=True)
        try:
            super()._save_checkpoint(model, trial)  # type: ignore[misc]
        except BaseException:
            if args.should_save and checkpoint.is_dir():
                logger.error("checkpoint save to %s failed; removing the partial directory", checkpoint)
                shutil.rmtree(checkpoint, ignore_errors=True)
            raise

    def train(
        self,
        resume_from_checkpoint: str | bool | None = None,
        trial: Any = None,
        ignore_keys_for_eval: list[str] | None = None,
    ) -> Any:
        """``Trainer.train``; ``resume_from_checkpoint=True`` picks the newest *complete* checkpoint."""
        if resume_from_checkpoint is True:
            found = last_complete_checkpoint(self.args.output_dir)  # type: ignore[attr-defined]
            if found is None:
                raise ValueError(
                    f"resume_from_checkpoint=True but {self.args.output_dir} holds no complete "  # type: ignore[attr-defined]
                    "checkpoint-N directory (one with trainer_state.json)"
                )
            resume_from_checkpoint = found
        return super().train(  # type: ignore[misc]
            resume_from_checkpoint=resume_from_checkpoint,
            trial=trial,
            ignore_keys_for_eval=ignore_keys_for_eval,
        )


# Trainer's own timing entries of an evaluation: not results of the model.
_EVAL_TIMINGS = ("eval_runtime", "eval_samples_per_second", "eval_steps_per_second")


def _replaceable_card(text: str) -> bool:
    """A card create_model_card may replace: hf_ssl's own without recorded results (the save hook's),
    or transformers' generic Trainer card. Anything else is a user's, or holds results, and stays."""
    generic = "This model card has been generated automatically according to the information the Trainer"
    return generic in text or ("- hf_ssl" in text and "model-index:" not in text)


class HfSslModelCardMixin:
    """Mix into ``Trainer`` so ``create_model_card`` (and so ``push_to_hub``) writes hf_ssl's card:
    the model's family and head (a fine-tuned classifier as text-classification, with its labels),
    ``finetuned_from`` as base model and the last evaluation's metrics in a model-index, instead of
    transformers' generic "trained from scratch on the None dataset". A card that already records
    results (``hf-ssl pretrain``'s) or that the user wrote is kept; a model that is not hf_ssl's gets
    transformers' card."""

    def create_model_card(
        self,
        language: str | None = None,
        license: str | None = None,
        tags: str | list[str] | None = None,
        model_name: str | None = None,
        finetuned_from: str | None = None,
        tasks: str | list[str] | None = None,
        dataset_tags: str | list[str] | None = None,
        dataset: str | list[str] | None = None,
        dataset_args: str | list[str] | None = None,
    ) -> None:
        from .hub.model_card import CARD_FILENAME, family_of, render_model_card

        trainer: Any = self
        try:
            family_of(trainer.model.config)
        except ValueError:
            return super().create_model_card(  # type: ignore[misc]
                language,
                license,
                tags,
                model_name,
                finetuned_from,
                tasks,
                dataset_tags,
                dataset,
                dataset_args,
            )
        if not trainer.is_world_process_zero():
            return
        path = Path(trainer.args.output_dir) / CARD_FILENAME
        if path.is_file() and not _replaceable_card(path.read_text(encoding="utf-8")):
            return  # a card with recorded results, or one the user wrote
        evaluations = [entry for entry in trainer.state.log_history if "eval_loss" in entry]
        metrics = {
            key: value
            for key, value in (evaluations[-1] if evaluations else {}).items()
            if key.startswith("eval_") and key not in _EVAL_TIMINGS and isinstance(value, int | float)
        }
        datasets = dataset_tags if dataset_tags is not None else dataset
        path.parent.mkdir(parents=True, exist_ok=True)
        staged = path.with_name(f".{CARD_FILENAME}.tmp")  # written whole, then switched in
        render_model_card(
            trainer.model,
            model_name=model_name or Path(trainer.args.output_dir).name,
            metrics=metrics or None,
            datasets=datasets,
            base_model=finetuned_from,
        ).save(staged)
        staged.replace(path)


class SafeCheckpointTrainer(SafeCheckpointsMixin, HfSslModelCardMixin, Trainer):
    """``transformers.Trainer`` whose interrupted checkpoint saves are never resumed from, and whose
    ``push_to_hub`` writes hf_ssl's model card."""
