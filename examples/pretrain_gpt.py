"""Pretrain a tiny GPT-2-style language model on the embedded corpus, then sample from it.

Run: python examples/pretrain_gpt.py [--steps 400]
Documents are packed into full rows (CausalLMCollator, no attention across documents); the model is
hf_ssl's GPTLMHeadModel with transformers' Trainer, and `generate` continues a prompt afterwards.
"""

from __future__ import annotations

import argparse

from transformers import Trainer, TrainingArguments, default_data_collator

import hf_ssl
from hf_ssl.data import iter_texts, load_default_corpus, train_gpt2_tokenizer


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--output", default="runs/example-gpt")
    args = parser.parse_args()

    documents = load_default_corpus()
    tokenizer = train_gpt2_tokenizer(iter_texts(documents), vocab_size=4000, model_max_length=64)
    eos = tokenizer.eos_token_id
    packer = hf_ssl.CausalLMCollator(pad_token_id=eos, pack_length=64, eos_token_id=eos)
    packed = packer(tokenizer([" ".join(doc) for doc in documents], add_special_tokens=False)["input_ids"])
    rows = [{k: v[i] for k, v in packed.items()} for i in range(len(packed["input_ids"]))]
    config = hf_ssl.get_config("gpt-tiny", vocab_size=len(tokenizer), bos_token_id=eos, eos_token_id=eos)
    model = hf_ssl.GPTLMHeadModel(config)
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
    Trainer(model=model, args=training, train_dataset=rows, data_collator=default_data_collator).train()
    model.save_pretrained(args.output)
    tokenizer.save_pretrained(args.output)

    prompt = tokenizer("Call me Ishmael. Some years ago", return_tensors="pt")
    sample = model.eval().generate(**prompt, max_new_tokens=20, do_sample=True, top_k=40, pad_token_id=eos)
    print(tokenizer.decode(sample[0]))


if __name__ == "__main__":
    main()
