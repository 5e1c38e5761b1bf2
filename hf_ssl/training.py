"""Trainer integration: component-loss logging, resumable collator noise, atomic checkpoints.

Trainer logs only `loss`. Models with several objectives (ELECTRA's generator MLM, discriminator
RTD loss and accuracy) record their last values in `_last_losses`; this callback averages them over
the optimizer steps since the previous log and adds them to Trainer's logs and `state.log_history`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

from transformers import TrainerCallback

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
    ``hf_ssl.objectives._seq2seq.CollatorRNG``). This switches every CollatorRNG the collator holds to
    keyed mode when training starts and tells it the epoch before each epoch's DataLoader iterator is
    built (Trainer calls ``on_epoch_begin`` first), so that non-persistent DataLoader workers copy it.
    With ``dataloader_persistent_workers=True`` the workers keep their first copy: every epoch then
    reuses epoch 0's key, so leave that option off. Pass the collator you gave Trainer.
    """

    def __init__(self, collator: Any) -> None:
        from hf_ssl.objectives._seq2seq import collator_rngs

        self._rngs = collator_rngs(collator)
        if not self._rngs:
            raise ValueError(
                f"{type(collator).__name__} holds no CollatorRNG, so there is no noise to make resumable"
            )

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        for rng in self._rngs:
            rng.set_keyed(True)

    def on_epoch_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        # A resumed run starts mid-epoch with state.epoch = e + fraction done; a finished epoch is e + 1.0.
        epoch = math.floor(state.epoch + _EPOCH_TOLERANCE)
        for rng in self._rngs:
            rng.set_epoch(epoch)
