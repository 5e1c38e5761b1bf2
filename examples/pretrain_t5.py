"""Pretrain a tiny T5 (or, with --experts, a tiny Switch) with span corruption on the embedded corpus.

Run: python examples/pretrain_t5.py [--steps 400] [--experts 4]
Raffel et al. 2020 §3.1.4: 15% of the tokens in spans of mean length 3, each span replaced by a
sentinel in the input; the targets are the sentinels followed by the dropped spans
(SpanCorruptionCollator, T5's preprocessors). The tokenizer is a SentencePiece-style unigram model
with T5's special ids (<pad>=0, </s>=1, <unk>=2) and sentinels <extra_id_0>, <extra_id_1>, ... at
the end of the vocabulary, <extra_id_0> highest, as in T5's (hf_ssl.data.train_t5_tokenizer).
The model is hf_ssl's T5ForConditionalGeneration with transformers' Trainer; a Switch run logs its
router z-loss and load-balancing loss beside the LM loss.
"""

from __future__ import annotations

import argparse

from transformers import Trainer, TrainingArguments

import hf_ssl
from hf_ssl.data import iter_texts, load_default_corpus, train_t5_tokenizer
from hf_ssl.objectives import SpanCorruptionCollator

NUM_SENTINELS = 32
INPUTS_LENGTH = 64


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--experts", type=int, default=0, help="0: dense T5; E > 0: Switch with E experts")
    parser.add_argument("--output", default="runs/example-t5")
    args = parser.parse_args()

    corpus = load_default_corpus()
    texts = [" ".join(document) for document in corpus]
    tokenizer = train_t5_tokenizer(iter_texts(corpus), vocab_size=2000, extra_ids=NUM_SENTINELS)
    collator = SpanCorruptionCollator.from_tokenizer(
        tokenizer, inputs_length=INPUTS_LENGTH, noise_density=0.15, mean_noise_span_length=3.0, seed=0
    )
    documents = [{"input_ids": ids} for ids in tokenizer(texts, add_special_tokens=False)["input_ids"]]
    config = hf_ssl.T5Config(
        vocab_size=len(tokenizer),
        d_model=128,
        d_kv=32,
        d_ff=256,
        num_layers=2,
        num_heads=4,
        dropout_rate=0.0,
        num_experts=args.experts,
        capacity_factor=1.25,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.pad_token_id,
    )
    model = hf_ssl.T5ForConditionalGeneration(config)
    training = TrainingArguments(
        args.output,
        max_steps=args.steps,
        per_device_train_batch_size=8,  # documents per batch; the collator cuts them into chunks
        learning_rate=1e-3,
        logging_steps=50,
        report_to=[],
        save_strategy="no",
        use_cpu=True,
        remove_unused_columns=False,
    )
    trainer = Trainer(
        model=model,
        args=training,
        train_dataset=documents,
        data_collator=collator,
        callbacks=[hf_ssl.ComponentLossCallback()],
    )
    trainer.train()
    model.save_pretrained(args.output)
    tokenizer.save_pretrained(args.output)

    example = collator([documents[0]])
    prediction = model.eval().generate(
        input_ids=example["input_ids"][:1], attention_mask=example["attention_mask"][:1], max_new_tokens=20
    )
    print("input:  ", tokenizer.decode(example["input_ids"][0], skip_special_tokens=False))
    print("target: ", tokenizer.decode(example["labels"][0][example["labels"][0] >= 0]))
    print("output: ", tokenizer.decode(prediction[0], skip_special_tokens=False))


if __name__ == "__main__":
    main()
