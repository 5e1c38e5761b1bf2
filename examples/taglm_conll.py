"""Train TagLM (Peters et al. 2017) on a CoNLL-format file, with a frozen LM pretrained on the corpus.

Run: python examples/taglm_conll.py [--conll train.conll] [--steps 300]
1. A cased word-level tokenizer is trained on the embedded corpus (Moby-Dick).
2. A tiny BERT is pretrained on it with masked LM: TagLM's LM provider (ELMo plugs in the same way).
3. Without --conll, a CoNLL file is written from the corpus with a rule tagger (runs of capitalised
   words inside a sentence -> B-NAME / I-NAME) and split 90/10 into train and dev.
4. TagLMForTokenClassification.from_lm(...) freezes the LM and trains the tagger with Trainer,
   reporting entity-level F1 (conlleval semantics) on the dev split; the token-classification
   pipeline then tags a sentence.
"""

from __future__ import annotations

import argparse
import logging
import random
from pathlib import Path

from transformers import DataCollatorForTokenClassification, Trainer, TrainingArguments, pipeline

import hf_ssl
from hf_ssl.data import (
    iter_texts,
    label_names,
    load_default_corpus,
    read_conll,
    tokenize_and_align,
    train_word_level_tokenizer,
    write_conll,
)
from hf_ssl.metrics import compute_tagging_metrics

logger = logging.getLogger("taglm_conll")
MAX_LENGTH = 48
OPENERS = {'"', "'", "(", "“", "‘", "-"}


def rule_tagged_sentences(tokenizer, sentences: list[str], limit: int) -> list[dict]:
    """Capitalised words after a sentence's first word are names; a run of them is one entity."""
    out = []
    for sentence in sentences:
        words = [w for w, _ in tokenizer.backend_tokenizer.pre_tokenizer.pre_tokenize_str(sentence)]
        words = words[: MAX_LENGTH - 2]
        tags, previous = [], "O"
        for i, word in enumerate(words):
            first = i == 0 or (i == 1 and words[0] in OPENERS)
            name = word[:1].isupper() and word != "I" and not first
            tags.append(("I-NAME" if previous != "O" else "B-NAME") if name else "O")
            previous = tags[-1]
        if len(words) > 2:
            out.append({"tokens": words, "tags": tags})
        if len(out) == limit:
            break
    return out


def pretrain_lm(tokenizer, sentences: list[str], steps: int, output: str) -> hf_ssl.BertModel:
    rows = [
        {"input_ids": ids}
        for ids in tokenizer(sentences, truncation=True, max_length=MAX_LENGTH)["input_ids"]
    ]
    config = hf_ssl.BertConfig(
        **hf_ssl.preset("bert-tiny"), vocab_size=len(tokenizer), max_position_embeddings=MAX_LENGTH
    )
    model = hf_ssl.BertForMaskedLM(config)
    training = TrainingArguments(
        f"{output}-lm",
        max_steps=steps,
        per_device_train_batch_size=32,
        learning_rate=1e-3,
        logging_steps=50,
        report_to=[],
        save_strategy="no",
        use_cpu=True,
        disable_tqdm=True,
    )
    collator = hf_ssl.MaskedLMCollator.from_tokenizer(tokenizer, seed=0)
    Trainer(model=model, args=training, train_dataset=rows, data_collator=collator).train()
    return model.bert


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=300, help="tagger training steps")
    parser.add_argument("--lm-steps", type=int, default=None, help="LM pretraining steps (default: --steps)")
    parser.add_argument(
        "--conll", default=None, help="a CoNLL file to train on (default: one built from the corpus)"
    )
    parser.add_argument("--output", default="runs/example-taglm")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    hf_ssl.logging.set_verbosity_info()
    output = Path(args.output)

    texts = list(iter_texts(load_default_corpus()))
    tokenizer = train_word_level_tokenizer(
        texts, vocab_size=6000, lowercase=False, model_max_length=MAX_LENGTH
    )
    lm = pretrain_lm(tokenizer, texts, args.lm_steps or args.steps, args.output)

    if args.conll:
        sentences = read_conll(args.conll)
    else:
        sentences = rule_tagged_sentences(tokenizer, texts, limit=3000)
        output.parent.mkdir(parents=True, exist_ok=True)
        conll_file = output.parent / f"{output.name}.conll"
        write_conll(conll_file, sentences)
        sentences = read_conll(conll_file)  # the example trains from the CoNLL file it wrote
    random.Random(0).shuffle(sentences)
    split = max(1, len(sentences) // 10)
    dev, train = sentences[:split], sentences[split:]
    labels = label_names(sentences)
    label2id = {label: i for i, label in enumerate(labels)}

    model = hf_ssl.TagLMForTokenClassification.from_lm(lm, tokenizer, labels, rnn_type="gru", dropout=0.25)
    training = TrainingArguments(
        args.output,
        max_steps=args.steps,
        per_device_train_batch_size=16,
        learning_rate=5e-3,
        logging_steps=50,
        report_to=[],
        save_strategy="no",
        use_cpu=True,
        disable_tqdm=True,
    )
    trainer = Trainer(
        model=model,
        args=training,
        train_dataset=tokenize_and_align(tokenizer, train, label2id, max_length=MAX_LENGTH),
        eval_dataset=tokenize_and_align(tokenizer, dev, label2id, max_length=MAX_LENGTH),
        data_collator=DataCollatorForTokenClassification(tokenizer),
        compute_metrics=compute_tagging_metrics(model.config.id2label),
    )
    trainer.train()
    metrics = trainer.evaluate()
    logger.info(
        "dev entity F1 %.3f (precision %.3f, recall %.3f) over %d sentences",
        metrics["eval_f1"],
        metrics["eval_precision"],
        metrics["eval_recall"],
        len(dev),
    )
    model.save_pretrained(args.output)
    tokenizer.save_pretrained(args.output)

    tagger = pipeline(
        "token-classification", model=model.eval(), tokenizer=tokenizer, aggregation_strategy="simple"
    )
    for entity in tagger("Then Captain Ahab and Starbuck went down to the boats of the Pequod."):
        logger.info("%-8s %-20s %.2f", entity["entity_group"], entity["word"], entity["score"])


if __name__ == "__main__":
    main()
