"""What the verbs share: their logger and the Trainer arguments every run starts from."""

from __future__ import annotations

import logging
from typing import Any

import torch
from transformers import TrainingArguments

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
