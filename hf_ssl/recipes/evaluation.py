"""`hf-ssl evaluate`: score a fine-tuned sequence classifier on a labelled file, offline."""

from __future__ import annotations

import tempfile
from typing import Any

from transformers import AutoModelForSequenceClassification, AutoTokenizer, Trainer

from .common import _training_args, check_model_directory
from .finetuning import _classification_collator, _classification_encoder, _load_table


def evaluate_classifier(
    model_dir: str,
    eval_file: str,
    *,
    text_column: str = "text",
    text_pair_column: str | None = None,
    label_column: str = "label",
    task: str | None = None,
    batch_size: int = 64,
    max_length: int = 128,
) -> dict[str, Any]:
    """Score a fine-tuned sequence classifier (`hf-ssl finetune` output) on a labelled file, offline:
    accuracy and macro F1, or a GLUE task's own metrics (`task="mrpc"`, ...) via hf_ssl.metrics."""
    from ..metrics import compute_classification_metrics

    check_model_directory(model_dir)
    table = _load_table(eval_file)
    needed = [text_column, label_column] + ([text_pair_column] if text_pair_column else [])
    missing = [c for c in needed if c not in table.column_names]
    if missing:
        raise ValueError(f"{eval_file} lacks column(s) {missing}; it has {table.column_names}")
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForSequenceClassification.from_pretrained(model_dir)
    label2id = {str(k): int(v) for k, v in (model.config.label2id or {}).items()}
    unknown = sorted({str(x) for x in table[label_column]} - set(label2id))
    if unknown:
        raise ValueError(f"labels {unknown} of {eval_file} are not among the model's {sorted(label2id)}")
    collator, is_gpt = _classification_collator(model, tokenizer, text_pair_column, max_length)
    encode = _classification_encoder(
        tokenizer,
        label2id,
        is_gpt,
        text_column=text_column,
        text_pair_column=text_pair_column,
        label_column=label_column,
        max_length=max_length,
    )
    dataset = table.map(encode, batched=True, remove_columns=table.column_names)
    with tempfile.TemporaryDirectory(prefix="hf-ssl-evaluate-") as scratch:
        args = _training_args(
            scratch,
            per_device_eval_batch_size=batch_size,
            remove_unused_columns=not is_gpt,
            label_names=["labels"],
        )
        trainer = Trainer(
            model=model,
            args=args,
            data_collator=collator,
            compute_metrics=compute_classification_metrics(task),
        )
        result = trainer.evaluate(eval_dataset=dataset)
    metrics = {
        k.removeprefix("eval_"): v for k, v in result.items() if not k.endswith(("runtime", "per_second"))
    }
    return {**metrics, "examples": len(dataset), "model_dir": model_dir, "eval_file": eval_file}
