"""End-to-end recipes behind the `hf-ssl` command, one module per verb.

- `pretrain` (`.pretraining`): train a tokenizer and a model from scratch on a corpus and write a
  loadable directory; what each family trains on is built in `.builders`.
- `finetune` (`.finetuning`): fine-tune such a directory on labelled CSV/TSV/JSONL files.
- `evaluate_classifier` (`.evaluation`): score a fine-tuned classifier on a labelled file.
- `demo` (`.demo_run`): pretrain, then fine-tune from the pretrained weights and from scratch.

Their settings are the dataclasses of `.settings`; `.common` holds what the verbs share.
"""

from __future__ import annotations

from .builders import BUILDERS, complete_doc_blocks
from .common import device_arguments
from .demo_run import CURVES, RESULTS, demo, results_table, task_directory
from .evaluation import evaluate_classifier
from .finetuning import finetune
from .pretraining import PRETRAINABLE, TOKENIZERS, default_output, pretrain
from .settings import FinetuneSettings, PretrainSettings

__all__ = [
    "BUILDERS",
    "CURVES",
    "PRETRAINABLE",
    "RESULTS",
    "TOKENIZERS",
    "FinetuneSettings",
    "PretrainSettings",
    "complete_doc_blocks",
    "default_output",
    "demo",
    "device_arguments",
    "evaluate_classifier",
    "finetune",
    "pretrain",
    "results_table",
    "task_directory",
]
