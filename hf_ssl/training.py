"""Trainer integration: log the component losses that multi-objective models report.

Trainer logs only `loss`. Models with several objectives (ELECTRA's generator MLM, discriminator
RTD loss and accuracy) record their last values in `_last_losses`; this callback averages them over
the optimizer steps since the previous log and adds them to Trainer's logs and `state.log_history`.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from transformers import TrainerCallback


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
