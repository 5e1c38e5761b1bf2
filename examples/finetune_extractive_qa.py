"""Fine-tune a tiny BERT for extractive question answering (span start/end vectors) with Trainer.

Run: python examples/finetune_extractive_qa.py [--data squad.json] [--examples 3000] [--steps 300]
Devlin et al. 2019 §4.2 (SQuAD v1.1): a start vector S and an end vector E score every context token;
the answer is the span i..j (j >= i) maximising S·T_i + E·T_j (hf_ssl.BertForQuestionAnswering).

Data.
- Default: a cloze task over the embedded corpus, in SQuAD format (no extractive-QA set of any size
  is reachable offline). A sentence becomes the question with one capitalised or numeric span (not
  its first word) blanked out; the context is the rest of its paragraph and the answer is that
  span's first occurrence there, given as text plus character offset. The lead sentence is the
  classic choice; every sentence of a paragraph is used here, which gives a few thousand questions.
- `--data FILE`: a SQuAD v1.1 JSON file (data -> paragraphs -> qas), e.g. the allennlp fixture.
Character offsets become token positions through the fast tokenizer's `offset_mapping` (answers
that the length limit cuts off point at [CLS], as in the reference run_squad recipe). Predictions
are decoded from the best-scoring valid span and scored with hf_ssl.metrics.load("squad") (EM/F1).
"""

from __future__ import annotations

import argparse
import json
import logging
import re
from typing import Any

import numpy as np
from datasets import Dataset
from transformers import DataCollatorWithPadding, Trainer, TrainingArguments, set_seed

import hf_ssl
from hf_ssl.data import Document, load_default_corpus, train_wordpiece_tokenizer
from hf_ssl.metrics import load

logger = logging.getLogger("finetune_extractive_qa")
MAX_LENGTH = 192
VOCAB_SIZE = 4000
DEV_FRACTION = 0.1
MAX_ANSWER_TOKENS = 12
BEST_SIZE = 20  # start/end candidates considered per example, as in the reference recipe
BLANK = "_____"
CONTEXT_SEGMENT = 1  # sequence id of the context in `[CLS] question [SEP] context [SEP]`
# A run of capitalised words ("Captain Peleg") or a number; the lookbehind keeps the first word out.
SPAN = re.compile(r"(?<=\s)(?:[A-Z][a-z]+(?:\s+[A-Z][a-z]+)*|\d[\d,]*\d|\d)\b")
IGNORED_SPANS = {"I"}
MAX_QUESTION_WORDS = 40  # longer questions would leave no room for the context in MAX_LENGTH


def cloze_examples(documents: list[Document], limit: int) -> list[dict[str, Any]]:
    """SQuAD-format cloze questions: one per sentence that has a blankable span recurring nearby."""
    rows: list[dict[str, Any]] = []
    for number, document in enumerate(documents):
        for index, sentence in enumerate(document):
            if len(sentence.split()) > MAX_QUESTION_WORDS:
                continue
            context = " ".join(document[:index] + document[index + 1 :])
            found = None
            for match in SPAN.finditer(sentence):
                if match.group(0) in IGNORED_SPANS:
                    continue
                found = re.search(rf"\b{re.escape(match.group(0))}\b", context)
                if found:
                    break
            if found:
                question = sentence[: match.start()] + BLANK + sentence[match.end() :]
                rows.append(
                    {
                        "id": f"p{number}s{index}",
                        "question": question,
                        "context": context,
                        "answers": {"text": [found.group(0)], "answer_start": [found.start()]},
                    }
                )
            if len(rows) == limit:
                return rows
    return rows


def read_squad(path: str, limit: int) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as handle:
        articles = json.load(handle)["data"]
    rows = [
        {
            "id": qa["id"],
            "question": qa["question"],
            "context": paragraph["context"],
            "answers": {
                "text": [a["text"] for a in qa["answers"]],
                "answer_start": [a["answer_start"] for a in qa["answers"]],
            },
        }
        for article in articles
        for paragraph in article["paragraphs"]
        for qa in paragraph["qas"]
    ]
    if not rows:
        raise ValueError(f"{path}: no questions; expected SQuAD v1.1 JSON")
    return rows[:limit]


def answer_token_span(
    offsets: list[tuple[int, int]], sequence_ids: list[int | None], answer_start: int, answer: str
) -> tuple[int, int]:
    """First and last token (inclusive) of the answer's characters, or (0, 0): [CLS] when cut off."""
    first, last = answer_start, answer_start + len(answer)  # last: exclusive character end
    context = [t for t, s in enumerate(sequence_ids) if s == CONTEXT_SEGMENT]
    if not (offsets[context[0]][0] <= first and offsets[context[-1]][1] >= last):
        return 0, 0
    start = next(t for t in context if offsets[t][1] > first)
    end = next(t for t in reversed(context) if offsets[t][0] < last)
    return start, end


def best_span(start: np.ndarray, end: np.ndarray, offsets: list[Any], context: str) -> str:
    """The highest-scoring span inside the context, at most MAX_ANSWER_TOKENS long."""
    best, answer = -np.inf, ""
    # Trainer pads logits across batches (with -100): drop the positions past this example's tokens.
    start, end = start[: len(offsets)], end[: len(offsets)]
    for i in np.argsort(start)[::-1][:BEST_SIZE]:
        for j in np.argsort(end)[::-1][:BEST_SIZE]:
            if offsets[i] is None or offsets[j] is None or not 0 <= j - i < MAX_ANSWER_TOKENS:
                continue
            if start[i] + end[j] > best:
                best, answer = start[i] + end[j], context[offsets[i][0] : offsets[j][1]]
    return answer


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default=None, help="SQuAD v1.1 JSON file (default: corpus cloze)")
    parser.add_argument("--examples", type=int, default=3000, help="how many questions to use")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", default="runs/example-qa")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    hf_ssl.logging.set_verbosity_info()
    set_seed(args.seed)

    rows = (
        read_squad(args.data, args.examples)
        if args.data
        else cloze_examples(load_default_corpus(), args.examples)
    )
    splits = Dataset.from_list(rows).train_test_split(test_size=DEV_FRACTION, seed=args.seed)
    tokenizer = train_wordpiece_tokenizer(
        sorted(set(splits["train"]["context"])), vocab_size=VOCAB_SIZE, model_max_length=MAX_LENGTH
    )

    def encode(batch: dict[str, list]) -> Any:
        # Only the context is cut, so the question (the clue) is always whole.
        return tokenizer(
            batch["question"],
            batch["context"],
            truncation="only_second",
            max_length=MAX_LENGTH,
            return_offsets_mapping=True,
        )

    def with_positions(batch: dict[str, list]) -> Any:
        encoding = encode(batch)
        encoding["start_positions"], encoding["end_positions"] = [], []
        for index, offsets in enumerate(encoding.pop("offset_mapping")):
            answers = batch["answers"][index]
            start, end = answer_token_span(
                offsets, encoding.sequence_ids(index), answers["answer_start"][0], answers["text"][0]
            )
            encoding["start_positions"].append(start)
            encoding["end_positions"].append(end)
        return encoding

    def with_offsets(batch: dict[str, list]) -> Any:
        encoding = encode(batch)
        # Offsets outside the context become None, so decoding can never pick a question token.
        encoding["offset_mapping"] = [
            [
                o if s == CONTEXT_SEGMENT else None
                for o, s in zip(offsets, encoding.sequence_ids(i), strict=True)
            ]
            for i, offsets in enumerate(encoding["offset_mapping"])
        ]
        return encoding

    columns = splits["train"].column_names
    train = splits["train"].map(with_positions, batched=True, remove_columns=columns)
    dev = splits["test"].map(with_offsets, batched=True, remove_columns=columns)

    config = hf_ssl.get_config("bert-tiny", vocab_size=len(tokenizer), max_position_embeddings=MAX_LENGTH)
    model = hf_ssl.BertForQuestionAnswering(config)
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
        train_dataset=train,
        data_collator=DataCollatorWithPadding(tokenizer),
    )
    trainer.train()

    model.eval()
    start_logits, end_logits = trainer.predict(dev.remove_columns(["offset_mapping"])).predictions[:2]
    predictions = [
        best_span(start_logits[i], end_logits[i], dev[i]["offset_mapping"], splits["test"][i]["context"])
        for i in range(len(dev))
    ]
    references = [answers["text"] for answers in splits["test"]["answers"]]
    scores = load("squad").compute(predictions=predictions, references=references)
    logger.info(
        "dev exact match %.1f, F1 %.1f over %d questions; e.g. %r -> %r (gold %r)",
        scores["exact_match"],
        scores["f1"],
        len(predictions),
        splits["test"][0]["question"],
        predictions[0],
        references[0][0],
    )
    model.save_pretrained(args.output)
    tokenizer.save_pretrained(args.output)


if __name__ == "__main__":
    main()
