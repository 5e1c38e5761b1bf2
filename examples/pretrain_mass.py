"""Pretrain a tiny MASS on the embedded corpus: restore a masked half of each sentence.

Run: python examples/pretrain_mass.py [--steps 400]
Song et al. 2019 §2.2: one contiguous span (half of the sentence) is masked in the encoder input
(80/10/10); the decoder reads only that span shifted right, at its original positions, and predicts
it, so it must take everything else from the encoder (MaskedSeq2SeqCollator; MASS-unsupNMT also
hides the encoder's [MASK] positions from cross-attention, `mask_cross_attention=True`). The model
is hf_ssl's MassForConditionalGeneration with transformers' Trainer.
"""

from __future__ import annotations

import argparse

import torch
from transformers import Trainer, TrainingArguments

import hf_ssl
from hf_ssl.data import iter_texts, load_default_corpus, train_wordpiece_tokenizer
from hf_ssl.objectives import MaskedSeq2SeqCollator

LENGTH = 64


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--output", default="runs/example-mass")
    args = parser.parse_args()

    sentences = list(iter_texts(load_default_corpus()))
    tokenizer = train_wordpiece_tokenizer(sentences, vocab_size=4000, model_max_length=LENGTH)
    # [CLS] sentence [SEP]: position 0 is the start token MASS never masks.
    encoded = tokenizer(sentences, truncation=True, max_length=LENGTH)["input_ids"]
    rows = [{"input_ids": ids} for ids in encoded if len(ids) >= 6]
    config = hf_ssl.get_config(
        "mass-tiny",
        vocab_size=len(tokenizer),
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.cls_token_id,
        eos_token_id=tokenizer.sep_token_id,
        decoder_start_token_id=tokenizer.sep_token_id,
        forced_eos_token_id=tokenizer.sep_token_id,
        max_position_embeddings=LENGTH,
    )
    model = hf_ssl.MassForConditionalGeneration(config)
    collator = MaskedSeq2SeqCollator.from_tokenizer(tokenizer, mask_cross_attention=True, seed=0)
    training = TrainingArguments(
        args.output,
        max_steps=args.steps,
        per_device_train_batch_size=32,
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

    # Fill the masked half of one sentence: decode the span token by token at its own positions.
    example = collator([rows[0]])
    with torch.no_grad():
        logits = model.eval()(**{k: v for k, v in example.items() if k != "labels"}).logits
    span = example["labels"][0] != -100
    print("masked input:", tokenizer.decode(example["input_ids"][0]))
    print("predicted span:", tokenizer.decode(logits[0].argmax(-1)[span]))


if __name__ == "__main__":
    main()
