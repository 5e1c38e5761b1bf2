"""The settings of `hf-ssl pretrain` and `hf-ssl finetune`: one dataclass per verb, one field per option.

They live apart from the verbs so that the pretraining builders (which read `PretrainSettings`) and
`pretrain` (which calls the builders) both import them without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class PretrainSettings:
    """Everything `pretrain` needs; defaults train a tiny model in a few minutes on 2 CPU cores."""

    model: str = "bert"
    preset: str = "tiny"
    corpus: str | None = None
    output: str = "runs/bert-tiny"
    vocab_size: int = 4000
    seq_len: int = 64
    batch_size: int = 32
    steps: int = 2500
    learning_rate: float = 1e-3
    dropout: float | None = 0.0  # the network's dropout in pretraining; None keeps the family's default
    seed: int = 0
    eval_fraction: float = 0.05
    overwrite: bool = False  # write into a non-empty output (its other files are kept)


@dataclass
class FinetuneSettings:
    """Sequence classification from CSV or JSONL files (columns: text [, text_pair], label)."""

    model_dir: str = "runs/bert-tiny"
    train_file: str = ""
    eval_file: str = ""
    output: str = "runs/bert-tiny-finetuned"
    text_column: str = "text"
    text_pair_column: str | None = None
    label_column: str = "label"
    # Turc et al. 2019 ("Well-Read Students Learn Better") fine-tune their compact BERTs for 4
    # epochs at a learning rate in {1e-4, 5e-5, 3e-5}: the largest suits the tiny sizes trained here.
    epochs: float = 4.0
    batch_size: int = 32
    learning_rate: float = 1e-4
    max_length: int = 64
    seed: int = 0
    overwrite: bool = False  # write into a non-empty output (its other files are kept)
    # Trainer's progress bar and its log lines on the console; the demo runs six fine-tunings and
    # reports each in one line instead.
    show_progress: bool = True
