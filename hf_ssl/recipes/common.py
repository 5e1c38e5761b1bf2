"""What the verbs share: their logger, the Trainer arguments every run starts from, and the check
of a model directory they read."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import torch
from transformers import TrainingArguments

from ..models.registry import check_known_family

# One logger for every verb, named after the package: `hf-ssl` log lines read "hf_ssl.recipes: ...".
logger = logging.getLogger("hf_ssl.recipes")


def device_arguments() -> dict[str, Any]:
    """CUDA when there is a GPU (one per process under torchrun), the CPU otherwise."""
    return {"use_cpu": not torch.cuda.is_available()}


def _training_args(output: str, **kwargs: Any) -> TrainingArguments:
    """TrainingArguments for a run writing to `output`, with the defaults every verb shares (no
    reporting, no checkpoints, the device of `device_arguments`, batches built in the main process,
    weight decay 0.01); `kwargs` override any of them."""
    defaults: dict[str, Any] = {
        "report_to": [],
        "save_strategy": "no",
        **device_arguments(),
        "dataloader_num_workers": 0,
        "logging_first_step": True,
        "per_device_eval_batch_size": 64,
        "weight_decay": 0.01,
    }
    return TrainingArguments(output_dir=output, **{**defaults, **kwargs})


def check_model_directory(path: str | os.PathLike[str], name: str = "model_dir") -> None:
    """The recipes read models from disk only: a path that is not a saved model directory is named
    as such (not looked up on the Hub), and an hf_ssl family this installation lacks is refused."""
    directory = Path(path)
    expected = "expected a directory written by `hf-ssl pretrain`, `hf-ssl finetune` or save_pretrained"
    if not directory.is_dir():
        raise FileNotFoundError(f"{name}={str(path)!r}: no such directory; {expected}")
    if not (directory / "config.json").is_file():
        raise FileNotFoundError(f"{name}={str(path)!r} holds no config.json; {expected}")
    check_known_family(directory)
