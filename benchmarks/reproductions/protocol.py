"""Shared statistics and bookkeeping for the small-scale reproductions.

The protocol is the one in the project notes on reproductions (§16.0): arms are paired by seed
(same fine-tuning seed, labelled subset and batch order), every pretraining seed contributes one
paired difference (the mean over its fine-tuning seeds), and the claim is judged on the mean
difference, a 95% t-interval over pretraining seeds and a threshold written into the script before
the full run. Numbers go to a JSON together with the library versions that produced them.

Reuse from any reproduction script:

    diffs = paired_differences(treated, control)        # per-seed Δ
    summary = summarize(diffs)                          # mean, std, n, 95% CI, sign count
    outcome = judge(summary, threshold=3.0)             # "reproduced" | "not reproduced" | "inconclusive"
    write_json(path, {...})                             # adds versions and timestamp, atomically
"""

from __future__ import annotations

import json
import math
import os
import platform
import tempfile
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
from scipy import stats

CONFIDENCE = 0.95
Outcome = Literal["reproduced", "not reproduced", "inconclusive"]


def paired_differences(treated: Sequence[float], control: Sequence[float]) -> list[float]:
    """Per-seed differences treated - control; both lists are indexed by the same seeds."""
    if len(treated) != len(control):
        raise ValueError(f"paired arms need equal lengths; got {len(treated)} and {len(control)}")
    if not treated:
        raise ValueError("paired_differences needs at least one seed")
    return [float(a) - float(b) for a, b in zip(treated, control, strict=True)]


def t_interval(values: Sequence[float], confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Two-sided Student-t interval for the mean of `values` (seeds as the unit of replication).

    With one value the interval is infinite: a single seed carries no estimate of spread.
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence={confidence}; expected a value in (0, 1)")
    x = np.asarray(values, dtype=np.float64)
    if x.size == 0:
        raise ValueError("t_interval needs at least one value")
    mean = float(x.mean())
    if x.size == 1:
        return (-math.inf, math.inf)
    half = float(stats.t.ppf(0.5 + confidence / 2, df=x.size - 1) * x.std(ddof=1) / math.sqrt(x.size))
    return (mean - half, mean + half)


def summarize(values: Sequence[float], confidence: float = CONFIDENCE) -> dict[str, Any]:
    """Mean, sample std, n, t-interval and sign count of per-seed values (JSON-ready)."""
    x = np.asarray(values, dtype=np.float64)
    low, high = t_interval(values, confidence)
    return {
        "values": [float(v) for v in x],
        "n": int(x.size),
        "mean": float(x.mean()),
        "std": float(x.std(ddof=1)) if x.size > 1 else 0.0,
        "ci": [low, high],
        "confidence": confidence,
        "positive": int((x > 0).sum()),
    }


def judge(summary: Mapping[str, Any], threshold: float) -> Outcome:
    """Pre-registered outcome band for a one-sided claim "the difference is at least `threshold`".

    reproduced: mean >= threshold and the CI excludes 0 from below; not reproduced: the CI lies
    entirely below the threshold; inconclusive: anything else (too few seeds, too much spread).
    """
    low, high = summary["ci"]
    if summary["mean"] >= threshold and low > 0:
        return "reproduced"
    if high < threshold:
        return "not reproduced"
    return "inconclusive"


def versions() -> dict[str, str]:
    """Versions of the stack a result was produced with."""
    import tokenizers
    import torch
    import transformers

    import hf_ssl

    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "tokenizers": tokenizers.__version__,
        "hf_ssl": getattr(hf_ssl, "__version__", "unknown"),
        "numpy": np.__version__,
        "threads": str(torch.get_num_threads()),
    }


def write_json(path: str | os.PathLike[str], payload: Mapping[str, Any]) -> Path:
    """Write `payload` plus versions and a UTC timestamp to `path` atomically (temp file + rename)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    document = {**payload, "versions": versions(), "written_at": datetime.now(UTC).isoformat()}
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".json.tmp")
    with os.fdopen(fd, "w") as handle:
        json.dump(document, handle, indent=2, allow_nan=True)
        handle.write("\n")
    os.chmod(tmp, 0o644)  # mkstemp creates 0600; results are meant to be read by everyone
    os.replace(tmp, target)
    return target


def save_figure(figure: Any, path: str | os.PathLike[str], dpi: int = 80) -> Path:
    """Write a matplotlib figure as a PNG atomically (temp file + rename), then close it."""
    import matplotlib.pyplot as plt

    target = Path(path)
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".png")
    os.close(fd)
    try:
        figure.savefig(tmp, dpi=dpi)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    finally:
        plt.close(figure)
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


def command_line(
    run: Callable[..., Any],
    tiers: Mapping[str, Any],
    description: str,
    output: Path,
    argv: Sequence[str] | None = None,
    data_help: str | None = None,
) -> Any:
    """The shared `--tier smoke|full --seeds N --output DIR [--data FILE]` entry point of a script.

    Calls `run(tier, output, seeds)` (plus `data` when `data_help` is given) with logging to stdout
    and transformers' own logging quietened.
    """
    import argparse
    import logging

    from transformers.utils import logging as hf_logging

    parser = argparse.ArgumentParser(description=description.strip().split("\n")[0])
    parser.add_argument("--tier", choices=sorted(tiers), default="smoke")
    parser.add_argument("--seeds", type=int, default=None, help="seeds (default: the tier's)")
    parser.add_argument("--output", type=Path, default=output)
    if data_help is not None:
        parser.add_argument("--data", type=Path, default=None, help=data_help)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    hf_logging.set_verbosity_error()
    extra = {"data": args.data} if data_help is not None else {}
    return run(args.tier, args.output, args.seeds, **extra)
