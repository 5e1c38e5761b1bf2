"""Pretrain a tiny prefix LM on the embedded corpus, then continue a prompt.

Run: python examples/pretrain_prefix_lm.py [--steps 400]
Each paragraph is split at a random point (PrefixLMCollator, as T5's prefix_lm objective): the part
before it is read bidirectionally, the part after it is predicted causally and carries the loss
(Raffel et al. 2020 §3.2.1). `generate` treats the prompt as the prefix.
"""

from __future__ import annotations

import argparse

from transformers import Trainer, TrainingArguments

import hf_ssl
from hf_ssl.data import iter_texts, load_default_corpus, train_gpt2_tokenizer
from hf_ssl.objectives import PrefixLMCollator

LENGTH = 64


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--output", default="runs/example-prefix-lm")
    args = parser.parse_args()

    documents = load_default_corpus()
    tokenizer = train_gpt2_tokenizer(iter_texts(documents), vocab_size=4000, model_max_length=LENGTH)
    eos = tokenizer.eos_token_id
    stream = tokenizer([" ".join(doc) for doc in documents], add_special_tokens=False)["input_ids"]
    # Chunks of LENGTH - 1 tokens (the collator appends </s>); each one is split afresh every epoch.
    rows = [
        {"input_ids": ids[i : i + LENGTH - 1]} for ids in stream for i in range(0, len(ids) - 1, LENGTH - 1)
    ]
    rows = [row for row in rows if len(row["input_ids"]) >= 2]
    config = hf_ssl.get_config(
        "prefix-lm-tiny", vocab_size=len(tokenizer), bos_token_id=eos, eos_token_id=eos
    )
    model = hf_ssl.PrefixLMForCausalLM(config)
    training = TrainingArguments(
        args.output,
        max_steps=args.steps,
        per_device_train_batch_size=32,
        learning_rate=1e-3,
        logging_steps=50,
        report_to=[],
        save_strategy="no",
        use_cpu=True,
    )
    collator = PrefixLMCollator.from_tokenizer(tokenizer, seed=0)
    Trainer(model=model, args=training, train_dataset=rows, data_collator=collator).train()
    model.save_pretrained(args.output)
    tokenizer.save_pretrained(args.output)

    prompt = tokenizer("Call me Ishmael. Some years ago", return_tensors="pt")
    sample = model.eval().generate(**prompt, max_new_tokens=20, do_sample=True, top_k=40, pad_token_id=eos)
    print(tokenizer.decode(sample[0]))


if __name__ == "__main__":
    main()
