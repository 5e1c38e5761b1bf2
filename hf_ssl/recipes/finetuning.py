"""`hf-ssl finetune`: fine-tune a pretrained directory on a sequence-classification task.

`finetune` loads a directory written by `hf-ssl pretrain` (or any hf_ssl checkpoint) with
AutoModelForSequenceClassification, trains it on labelled CSV/TSV/JSONL files and writes the
classifier atomically. The table reader and the classification collator and encoder defined here
are also what `evaluate_classifier` scores with.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Literal

import numpy as np
from transformers import (
    AutoModelForSequenceClassification,
    AutoTokenizer,
    DataCollatorWithPadding,
    PrinterCallback,
    Trainer,
    set_seed,
)

from ..hub.model_card import CARD_FILENAME, render_model_card
from ..io import atomic_directory, check_output_directory
from ..models.gpt import GPTPreTrainedModel
from ..objectives import GPTTaskCollator
from .common import _training_args, check_model_directory, logger
from .settings import FinetuneSettings

LOGS_PER_EPOCH = 4  # training-loss entries an epoch in the log history (the fine-tuning curves)


def _load_table(path: str) -> Any:
    """A labelled CSV/TSV/JSON(L) file as a `datasets.Dataset`, or a ValueError naming what is wrong."""
    from datasets import load_dataset

    suffix = Path(path).suffix.lower()
    kinds = {".csv": "csv", ".tsv": "csv", ".jsonl": "json", ".json": "json"}
    if not Path(path).is_file():
        raise FileNotFoundError(f"no such file: {path}")
    if suffix not in kinds:
        raise ValueError(f"{path}: unsupported suffix {suffix!r}; expected one of {sorted(kinds)}")
    extra = {"delimiter": "\t"} if suffix == ".tsv" else {}
    try:
        table = load_dataset(kinds[suffix], data_files=path, split="train", **extra)
    except Exception as error:  # datasets wraps the parser's error: name the file and the cause
        raise ValueError(f"{path}: {_table_problem(error, suffix)}") from error
    if any(column.startswith("__index_level_") for column in table.column_names):
        header = [c for c in table.column_names if not c.startswith("__index_level_")]
        raise ValueError(
            f"{path}: some rows have more fields than the header {header}; quote text that holds the delimiter"
        )
    return table


def _table_problem(error: BaseException, suffix: str) -> str:
    """What went wrong reading a table, from the innermost cause of `datasets`' wrapped error."""
    chain = [error]
    while (chain[-1].__cause__ or chain[-1].__context__) is not None and len(chain) < 20:
        chain.append(chain[-1].__cause__ or chain[-1].__context__)  # type: ignore[arg-type]
    cause = chain[-1]
    if any(isinstance(e, UnicodeDecodeError) or "Invalid UTF8" in str(e) for e in chain):
        return "not UTF-8 text; re-save the file as UTF-8"
    message = str(cause) or str(error)
    if "No columns to parse" in message:
        return "the file is empty; expected a header line (e.g. text,label) and one row per example"
    if "corresponds to no data" in message:
        return "the file has no rows; expected one row per example under its header"
    return f"not a readable {suffix.lstrip('.').upper()} file ({type(cause).__name__}: {message})"


def finetune(settings: FinetuneSettings) -> dict[str, Any]:
    """Fine-tune a pretrained directory on labelled files; return dev accuracy and loss."""
    if not settings.epochs > 0:
        raise ValueError(f"epochs={settings.epochs!r}; expected a number > 0")
    check_model_directory(settings.model_dir)
    check_output_directory(settings.output, overwrite=settings.overwrite)
    train, dev = _load_table(settings.train_file), _load_table(settings.eval_file)
    for name, table in (("train", train), ("eval", dev)):
        needed = [settings.text_column, settings.label_column] + (
            [settings.text_pair_column] if settings.text_pair_column else []
        )
        missing = [c for c in needed if c not in table.column_names]
        if missing:
            raise ValueError(f"{name} file lacks column(s) {missing}; it has {table.column_names}")
        for row, label in enumerate(table[settings.label_column]):
            if label is None or str(label).strip() == "":
                path = settings.train_file if name == "train" else settings.eval_file
                raise ValueError(
                    f"{path}: row {row + 1} has an empty {settings.label_column!r} cell; every row needs a label"
                )
    labels = sorted({str(x) for x in train[settings.label_column]})
    label2id = {label: i for i, label in enumerate(labels)}
    unknown = sorted({str(x) for x in dev[settings.label_column]} - set(labels))
    if unknown:
        raise ValueError(f"eval labels {unknown} never occur in the training file (labels: {labels})")

    tokenizer = AutoTokenizer.from_pretrained(settings.model_dir)
    set_seed(settings.seed)  # the new head's initialisation too, not only Trainer's batch order
    model = AutoModelForSequenceClassification.from_pretrained(
        settings.model_dir, num_labels=len(labels), id2label=dict(enumerate(labels)), label2id=label2id
    )

    collator, is_gpt = _classification_collator(
        model, tokenizer, settings.text_pair_column, settings.max_length
    )
    encode = _classification_encoder(
        tokenizer,
        label2id,
        is_gpt,
        text_column=settings.text_column,
        text_pair_column=settings.text_pair_column,
        label_column=settings.label_column,
        max_length=settings.max_length,
    )

    columns = train.column_names
    train = train.map(encode, batched=True, remove_columns=columns)
    dev = dev.map(encode, batched=True, remove_columns=dev.column_names)

    def accuracy(prediction: Any) -> dict[str, float]:
        # Heads with extra outputs (GPT's separate task and LM losses) give a tuple: logits come first.
        logits = prediction.predictions
        logits = logits[0] if isinstance(logits, tuple) else logits
        return {"accuracy": float((np.argmax(logits, -1) == prediction.label_ids).mean())}

    args = _training_args(
        settings.output,
        num_train_epochs=settings.epochs,
        per_device_train_batch_size=settings.batch_size,
        learning_rate=settings.learning_rate,
        warmup_steps=0.1,
        eval_strategy="epoch",
        logging_steps=max(1, math.ceil(len(train) / settings.batch_size) // LOGS_PER_EPOCH),
        seed=settings.seed,
        # GPT's collator reads pair_ids, which no forward argument names: keep every column.
        remove_unused_columns=not is_gpt,
        label_names=["labels"],
        disable_tqdm=not settings.show_progress,
    )
    trainer = Trainer(
        model=model,
        args=args,
        train_dataset=train,
        eval_dataset=dev,
        data_collator=collator,
        compute_metrics=accuracy,
    )
    if not settings.show_progress:
        trainer.remove_callback(PrinterCallback)  # without a bar, Trainer prints each log dict instead
    trainer.train()
    evaluation = trainer.evaluate()
    metrics = {
        "accuracy": evaluation["eval_accuracy"],
        "eval_loss": evaluation["eval_loss"],
        "labels": labels,
        "train_examples": len(train),
        "eval_examples": len(dev),
        "log_history": trainer.state.log_history,  # training loss a quarter epoch, dev loss an epoch
    }
    if not trainer.is_world_process_zero():
        return metrics  # under torchrun every rank gets here; two writers would race for the directory
    with atomic_directory(settings.output, overwrite=settings.overwrite) as staging:
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        (staging / "metrics.json").write_text(json.dumps(metrics, indent=2))
        render_model_card(
            model,
            model_name=Path(settings.output).name,
            training_data=_finetuning_summary(settings, metrics),
            metrics={"eval_accuracy": evaluation["eval_accuracy"], "eval_loss": evaluation["eval_loss"]},
            datasets=[Path(settings.train_file).stem],
            base_model=settings.model_dir,
        ).save(staging / CARD_FILENAME)
    logger.info("dev accuracy %.3f; wrote %s", metrics["accuracy"], settings.output)
    return metrics


def _finetuning_summary(settings: FinetuneSettings, metrics: dict[str, Any]) -> str:
    """The card's "training data and hyperparameters" of a fine-tuning run."""
    return (
        f"Fine-tuned on `{Path(settings.train_file).name}` ({metrics['train_examples']} examples) and "
        f"scored on `{Path(settings.eval_file).name}` ({metrics['eval_examples']} examples) by "
        f"`hf-ssl finetune`: {settings.epochs:g} epochs, batch size {settings.batch_size}, peak learning "
        f"rate {settings.learning_rate:g} (10% warm-up, linear decay), seed {settings.seed}."
    )


def _classification_collator(
    model: Any, tokenizer: Any, text_pair_column: str | None, max_length: int
) -> tuple[Any, bool]:
    """Padding for encoders; GPT-1's task framing (§3.3) for GPT classifiers: [start] text [extract],
    or [start] A [delim] B [extract], with the three task tokens added to the vocabulary."""
    if not isinstance(model, GPTPreTrainedModel):
        return DataCollatorWithPadding(tokenizer), False
    task: Literal["entailment", "classification"] = "entailment" if text_pair_column else "classification"
    collator = GPTTaskCollator.from_tokenizer(tokenizer, task, max_length=max_length)
    model.resize_token_embeddings(len(tokenizer))
    return collator, True


def _classification_encoder(
    tokenizer: Any,
    label2id: dict[str, int],
    is_gpt: bool,
    *,
    text_column: str,
    text_pair_column: str | None,
    label_column: str,
    max_length: int,
) -> Any:
    """A `datasets.map` function: texts (and pairs) to ids, labels to their indices."""

    def encode(batch: dict[str, list]) -> dict[str, list]:
        pair = batch[text_pair_column] if text_pair_column else None
        labels_ = [label2id[str(x)] for x in batch[label_column]]
        if is_gpt:
            plain = {"add_special_tokens": False, "truncation": True, "max_length": max_length}
            encoded = {"input_ids": tokenizer(batch[text_column], **plain)["input_ids"], "labels": labels_}
            if pair is not None:
                encoded["pair_ids"] = tokenizer(pair, **plain)["input_ids"]
            return encoded
        encoded = tokenizer(batch[text_column], pair, truncation=True, max_length=max_length)
        encoded["labels"] = labels_
        return encoded

    return encode
