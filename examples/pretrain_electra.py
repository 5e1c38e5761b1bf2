"""Pretrain a tiny ELECTRA (generator + discriminator, replaced-token detection) on the embedded corpus.

Run: python examples/pretrain_electra.py [--steps 300]
Uses hf_ssl's ElectraForPreTraining with transformers' Trainer; ComponentLossCallback adds the
generator loss, discriminator loss and discriminator accuracy to Trainer's logs. The discriminator
is then written alone, ready for AutoModelForSequenceClassification (`hf-ssl finetune`).
"""

from __future__ import annotations

import argparse

from transformers import Trainer, TrainingArguments

import hf_ssl
from hf_ssl.data import iter_texts, load_default_corpus
from hf_ssl.data.tokenizers import train_wordpiece_tokenizer


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--output", default="runs/example-electra")
    args = parser.parse_args()

    documents = load_default_corpus()
    tokenizer = train_wordpiece_tokenizer(iter_texts(documents), vocab_size=4000, model_max_length=64)
    rows = [
        {"input_ids": ids}
        for ids in tokenizer([" ".join(doc) for doc in documents], truncation=True, max_length=64)[
            "input_ids"
        ]
    ]
    config = hf_ssl.ElectraConfig(**hf_ssl.preset("electra-tiny"), vocab_size=len(tokenizer))
    model = hf_ssl.ElectraForPreTraining(config)
    # ELECTRA's masking: 15% of tokens drawn with replacement, 85% of them [MASK] and 15% kept, no
    # random replacement (the generator's samples are the replacements).
    collator = hf_ssl.MaskedLMCollator.electra(tokenizer)
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
    trainer = Trainer(
        model=model,
        args=training,
        train_dataset=rows,
        data_collator=collator,
        callbacks=[hf_ssl.ComponentLossCallback()],
    )
    trainer.train()
    model.save_pretrained(args.output)
    model.save_discriminator(f"{args.output}/discriminator")
    tokenizer.save_pretrained(f"{args.output}/discriminator")


if __name__ == "__main__":
    main()
