"""Fine-tune a tiny BERT for sentence classification with Trainer and `datasets`.

Run: python examples/finetune_sentiment.py [--data reviews.csv] [--steps 300]
Devlin et al. 2019 §4.1 (GLUE single-sentence tasks such as SST-2): the [CLS] vector goes through
the pooler and a linear classifier (hf_ssl.BertForSequenceClassification, cross-entropy loss).

Data. `--data` takes any CSV with `text` and `label` columns (a sentiment set, SST exported to CSV,
...). Without it the example uses a stand-in that needs no download: the sentence-mood task of the
embedded corpus (hf_ssl.data.tasks.sentence_mood_examples: statement / question / exclamation, the
final mark removed, classes balanced). It was chosen over a real sentiment set because none that is
reachable offline is both labelled by people and quick to read: the allennlp fixture `sst.txt` has a
handful of trees, and the 5,000 fine-food reviews of Debian's r-cran-modeldata need an R-data reader.

Steps: `Dataset.from_list` -> `class_encode_column` -> stratified `train_test_split` -> a WordPiece
tokenizer trained on the train split -> `.map(batched=True)` tokenization -> Trainer with
hf_ssl.metrics.compute_classification_metrics (accuracy, macro F1) -> hf_ssl.metrics.load("accuracy")
on the dev predictions, as a user would with `evaluate`.
"""

from __future__ import annotations

import argparse
import csv
import logging

import numpy as np
from datasets import Dataset
from transformers import DataCollatorWithPadding, Trainer, TrainingArguments, set_seed

import hf_ssl
from hf_ssl.data import load_default_corpus, train_wordpiece_tokenizer
from hf_ssl.data.tasks import sentence_mood_examples
from hf_ssl.metrics import compute_classification_metrics, load

logger = logging.getLogger("finetune_sentiment")
MAX_LENGTH = 64
VOCAB_SIZE = 3000
DEV_FRACTION = 0.2


def read_rows(path: str | None, seed: int) -> list[dict[str, str]]:
    """{"text", "label"} rows from a CSV file, or the embedded corpus's sentence-mood task."""
    if path is None:
        return sentence_mood_examples(load_default_corpus(), seed=seed)
    with open(path, newline="", encoding="utf-8") as handle:
        rows = [{"text": row["text"], "label": row["label"]} for row in csv.DictReader(handle)]
    if not rows:
        raise ValueError(f"{path}: no rows; expected a CSV with 'text' and 'label' columns")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default=None, help="CSV with text,label columns (default: sentence mood)")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", default="runs/example-sentiment")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    hf_ssl.logging.set_verbosity_info()
    set_seed(args.seed)

    dataset = Dataset.from_list(read_rows(args.data, args.seed)).class_encode_column("label")
    splits = dataset.train_test_split(test_size=DEV_FRACTION, seed=args.seed, stratify_by_column="label")
    names = dataset.features["label"].names
    tokenizer = train_wordpiece_tokenizer(
        splits["train"]["text"], vocab_size=VOCAB_SIZE, model_max_length=MAX_LENGTH
    )
    encoded = splits.map(
        lambda batch: tokenizer(batch["text"], truncation=True, max_length=MAX_LENGTH),
        batched=True,
        remove_columns=["text"],
    )

    config = hf_ssl.get_config(
        "bert-tiny",
        vocab_size=len(tokenizer),
        max_position_embeddings=MAX_LENGTH,
        num_labels=len(names),
        id2label=dict(enumerate(names)),
        label2id={name: i for i, name in enumerate(names)},
    )
    model = hf_ssl.BertForSequenceClassification(config)
    training = TrainingArguments(
        args.output,
        max_steps=args.steps,
        per_device_train_batch_size=32,
        per_device_eval_batch_size=64,
        learning_rate=1e-3,
        warmup_steps=args.steps // 10,
        logging_steps=50,
        seed=args.seed,
        report_to=[],
        save_strategy="no",
        use_cpu=True,
        disable_tqdm=True,
    )
    trainer = Trainer(
        model=model,
        args=training,
        train_dataset=encoded["train"],
        eval_dataset=encoded["test"],
        data_collator=DataCollatorWithPadding(tokenizer),
        compute_metrics=compute_classification_metrics(),
    )
    trainer.train()
    metrics = trainer.evaluate()
    logger.info(
        "dev accuracy %.3f, macro F1 %.3f over %d sentences (%s; chance %.3f)",
        metrics["eval_accuracy"],
        metrics["eval_f1_macro"],
        len(encoded["test"]),
        "/".join(names),
        1 / len(names),
    )
    predictions = np.asarray(trainer.predict(encoded["test"]).predictions).argmax(-1)
    accuracy = load("accuracy").compute(predictions=predictions, references=encoded["test"]["label"])
    logger.info("hf_ssl.metrics.load('accuracy'): %s", accuracy)

    model.save_pretrained(args.output)
    tokenizer.save_pretrained(args.output)


if __name__ == "__main__":
    main()
