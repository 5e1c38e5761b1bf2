"""Figures the command line writes: the loss curve of a training run, and the demo's fine-tuning
curves (pretrained against from scratch), from Trainer's log history.

matplotlib is imported inside the function (Agg backend, no display needed), so importing hf_ssl
never pays for it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any


def _new_axes(size: tuple[float, float]) -> tuple[Any, Any]:
    """A figure and its axes on the Agg backend (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    return plt.subplots(figsize=size)


def _save(figure: Any, axes: Any, path: str | Path, *, xlabel: str, ylabel: str, title: str) -> Path:
    """Label the axes, write the figure as a PNG at `path` and close it."""
    from matplotlib import pyplot as plt

    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.set_title(title)
    axes.legend()
    figure.tight_layout()
    target = Path(path)
    figure.savefig(target, dpi=100)
    plt.close(figure)
    return target


def save_loss_curve(log_history: Sequence[dict[str, Any]], path: str | Path, *, title: str = "") -> Path:
    """Training loss (and eval loss, if logged) against the optimizer step, as a PNG at `path`."""
    train = [(e["step"], e["loss"]) for e in log_history if "loss" in e and "step" in e]
    evaluation = [(e["step"], e["eval_loss"]) for e in log_history if "eval_loss" in e and "step" in e]
    if not train and not evaluation:
        raise ValueError("the log history holds no 'loss' or 'eval_loss' entries to plot")
    figure, axes = _new_axes((6, 4))
    for points, label, style in ((train, "training loss", "-"), (evaluation, "held-out loss", "o--")):
        if points:
            steps, losses = zip(*points, strict=True)
            axes.plot(steps, losses, style, label=label)
    return _save(
        figure, axes, path, xlabel="optimizer step", ylabel="loss (nats per prediction)", title=title
    )


def save_finetuning_curves(
    runs: Mapping[str, Sequence[Sequence[dict[str, Any]]]], path: str | Path, *, title: str = ""
) -> Path:
    """Fine-tuning curves of several starting points on one plot, as a PNG at `path`.

    `runs` maps a starting point ("pretrained", "from scratch") to the log histories of its seeds.
    Each seed's training loss is a thin line and their mean a thick one; dev losses (logged at
    epoch ends) are markers joined by a dashed line of their mean.
    """
    if not runs or not all(runs.values()):
        raise ValueError("runs must map each starting point to at least one log history")
    figure, axes = _new_axes((7, 4.5))
    for (name, histories), colour in zip(
        runs.items(), ("tab:blue", "tab:orange", "tab:green", "tab:red"), strict=False
    ):
        curves = [_series(history, "loss") for history in histories]
        for steps, losses in curves:
            axes.plot(steps, losses, color=colour, alpha=0.25, linewidth=1)
        _plot_mean(axes, curves, colour, "-", f"{name}: training loss")
        _plot_mean(
            axes, [_series(history, "eval_loss") for history in histories], colour, "o--", f"{name}: dev loss"
        )
    return _save(figure, axes, path, xlabel="fine-tuning step", ylabel="loss (nats per example)", title=title)


def _series(history: Sequence[dict[str, Any]], key: str) -> tuple[list[int], list[float]]:
    """(steps, values) of one logged quantity."""
    points = [(entry["step"], entry[key]) for entry in history if key in entry and "step" in entry]
    return [step for step, _ in points], [value for _, value in points]


def _plot_mean(
    axes: Any, curves: Sequence[tuple[list[int], list[float]]], colour: str, style: str, label: str
) -> None:
    """The mean over seeds at the steps every seed logged."""
    common = sorted(set.intersection(*(set(steps) for steps, _ in curves))) if curves else []
    if not common:
        return
    means = [sum(dict(zip(*curve, strict=True))[step] for curve in curves) / len(curves) for step in common]
    axes.plot(common, means, style, color=colour, linewidth=2, label=label)
