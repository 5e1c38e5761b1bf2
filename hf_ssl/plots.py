"""Figures the command line writes: the loss curve of a training run, from Trainer's log history.

matplotlib is imported inside the function (Agg backend, no display needed), so importing hf_ssl
never pays for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any


def save_loss_curve(log_history: Sequence[dict[str, Any]], path: str | Path, *, title: str = "") -> Path:
    """Training loss (and eval loss, if logged) against the optimizer step, as a PNG at `path`."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    train = [(e["step"], e["loss"]) for e in log_history if "loss" in e and "step" in e]
    evaluation = [(e["step"], e["eval_loss"]) for e in log_history if "eval_loss" in e and "step" in e]
    if not train and not evaluation:
        raise ValueError("the log history holds no 'loss' or 'eval_loss' entries to plot")
    figure, axes = plt.subplots(figsize=(6, 4))
    for points, label, style in ((train, "training loss", "-"), (evaluation, "held-out loss", "o--")):
        if points:
            steps, losses = zip(*points, strict=True)
            axes.plot(steps, losses, style, label=label)
    axes.set_xlabel("optimizer step")
    axes.set_ylabel("loss (nats per prediction)")
    axes.set_title(title)
    axes.legend()
    figure.tight_layout()
    target = Path(path)
    figure.savefig(target, dpi=100)
    plt.close(figure)
    return target
