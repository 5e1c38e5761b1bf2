"""Pretrain a tiny BART on the embedded corpus by denoising, then let it fill a masked span.

Run: python examples/pretrain_bart.py [--steps 400]
Lewis et al. 2020 §2.2/§3: each paragraph (<s> ... </s>) is corrupted by sentence permutation and
text infilling (30% of the words, Poisson(3) spans, each span one <mask>: DenoisingCollator with
BART-large's settings) and the decoder restores the original. The model is hf_ssl's
BartForConditionalGeneration with transformers' Trainer; `generate` then rewrites a masked prompt.
"""

from __future__ import annotations

import argparse

from transformers import Trainer, TrainingArguments

import hf_ssl
from hf_ssl.data import iter_texts, load_default_corpus, train_byte_level_bpe_tokenizer
from hf_ssl.objectives import DenoisingCollator

LENGTH = 128


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--output", default="runs/example-bart")
    args = parser.parse_args()

    documents = load_default_corpus()
    tokenizer = train_byte_level_bpe_tokenizer(
        iter_texts(documents), vocab_size=4000, model_max_length=LENGTH
    )
    # Each paragraph is one <s> ... </s> document, cut to the model's length.
    paragraphs = [" ".join(doc) for doc in documents]
    rows = [
        {"input_ids": ids} for ids in tokenizer(paragraphs, truncation=True, max_length=LENGTH)["input_ids"]
    ]
    config = hf_ssl.get_config(
        "bart-tiny",
        vocab_size=len(tokenizer),
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.eos_token_id,
        forced_eos_token_id=tokenizer.eos_token_id,
    )
    model = hf_ssl.BartForConditionalGeneration(config)
    # BART-large's noise (facebookresearch/fairseq#1899): mask 0.3 of the words in Poisson spans, permute sentences.
    collator = DenoisingCollator.from_tokenizer(
        tokenizer,
        mask_ratio=0.3,
        mask_random_ratio=0.1,
        poisson_lambda=3.0,
        permute_sentence_ratio=1.0,
        seed=0,
    )
    training = TrainingArguments(
        args.output,
        max_steps=args.steps,
        per_device_train_batch_size=16,
        learning_rate=1e-3,
        logging_steps=50,
        report_to=[],
        save_strategy="no",
        use_cpu=True,
        remove_unused_columns=False,
    )
    Trainer(model=model, args=training, train_dataset=rows, data_collator=collator).train()
    model.save_pretrained(args.output)
    tokenizer.save_pretrained(args.output)

    prompt = tokenizer(
        "Call me Ishmael. Some <mask> ago, never mind how long precisely.", return_tensors="pt"
    )
    restored = model.eval().generate(**prompt, max_new_tokens=30, num_beams=4)
    print(tokenizer.decode(restored[0], skip_special_tokens=True))


if __name__ == "__main__":
    main()
