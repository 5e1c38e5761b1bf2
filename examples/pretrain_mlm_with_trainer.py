"""Pretrain a tiny RoBERTa with dynamic masking on the embedded corpus, using Trainer directly.

Run: python examples/pretrain_mlm_with_trainer.py [--steps 200]
The `hf-ssl pretrain` command does the same with more options; this file shows the pieces.
"""

from __future__ import annotations

import argparse

from transformers import Trainer, TrainingArguments

import hf_ssl
from hf_ssl.data import iter_texts, load_default_corpus
from hf_ssl.data.tokenizers import train_byte_level_bpe_tokenizer


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--output", default="runs/example-roberta")
    args = parser.parse_args()

    documents = load_default_corpus()
    tokenizer = train_byte_level_bpe_tokenizer(iter_texts(documents), vocab_size=4000, model_max_length=64)
    rows = [
        {"input_ids": ids}
        for ids in tokenizer([" ".join(doc) for doc in documents], truncation=True, max_length=64)[
            "input_ids"
        ]
    ]
    config = hf_ssl.RobertaConfig(
        **hf_ssl.preset("roberta-tiny"), vocab_size=len(tokenizer), max_position_embeddings=66
    )
    model = hf_ssl.RobertaForMaskedLM(config)
    collator = hf_ssl.MaskedLMCollator.from_tokenizer(tokenizer, seed=0)  # new masks every epoch
    training = TrainingArguments(
        args.output,
        max_steps=args.steps,
        per_device_train_batch_size=32,
        learning_rate=1e-3,
        logging_steps=20,
        report_to=[],
        save_strategy="no",
        use_cpu=True,
    )
    Trainer(model=model, args=training, train_dataset=rows, data_collator=collator).train()
    model.save_pretrained(args.output)
    tokenizer.save_pretrained(args.output)


if __name__ == "__main__":
    main()
