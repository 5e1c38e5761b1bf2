"""Train word2vec CBOW vectors on the embedded corpus (Moby-Dick), then print nearest neighbours.

Run: python examples/cbow_neighbours.py [--steps 3000]
A word-level tokenizer gives one id per word; CBOWCollator turns each sentence into windows with
word2vec's dynamic window, frequent-word subsampling and unigram^0.75 negatives; CBOWForPreTraining
trains with transformers' Trainer; `nearest_neighbours` and `analogy` query the input vectors.
"""

from __future__ import annotations

import argparse
import logging

from transformers import Trainer, TrainingArguments

import hf_ssl
from hf_ssl.analysis import analogy, nearest_neighbours
from hf_ssl.data import iter_texts, load_default_corpus, train_word_level_tokenizer

logger = logging.getLogger("cbow_neighbours")
NO_LENGTH_LIMIT = 1_000_000
QUERIES = ("whale", "ship", "sea", "captain", "boat", "three")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--output", default="runs/example-cbow")
    parser.add_argument("--vocab-size", type=int, default=5000)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    hf_ssl.logging.set_verbosity_info()

    sentences = list(iter_texts(load_default_corpus()))
    # No positions in CBOW: a long sentence is fine, so lift the tokenizer's length warning.
    tokenizer = train_word_level_tokenizer(
        sentences, vocab_size=args.vocab_size, min_frequency=3, model_max_length=NO_LENGTH_LIMIT
    )
    documents = [ids for ids in tokenizer(sentences, add_special_tokens=False)["input_ids"] if len(ids) > 1]
    collator = hf_ssl.CBOWCollator.from_tokenizer(
        tokenizer, documents, window=5, num_negatives=5, subsample_threshold=1e-3, seed=0
    )
    config = hf_ssl.CBOWConfig(vocab_size=len(tokenizer), embedding_size=64, window=5, num_negatives=5)
    model = hf_ssl.CBOWForPreTraining(config)
    training = TrainingArguments(
        args.output,
        max_steps=args.steps,
        per_device_train_batch_size=16,  # sentences; each yields one example per kept word
        learning_rate=0.01,
        lr_scheduler_type="linear",  # word2vec decays its learning rate linearly, too
        logging_steps=200,
        report_to=[],
        save_strategy="no",
        use_cpu=True,
        remove_unused_columns=False,
        disable_tqdm=True,
    )
    Trainer(model=model, args=training, train_dataset=documents, data_collator=collator).train()
    model.save_pretrained(args.output)
    tokenizer.save_pretrained(args.output)

    vocab = tokenizer.get_vocab()
    specials = list(tokenizer.all_special_tokens)
    for word in QUERIES:
        if word in vocab:
            neighbours = nearest_neighbours(model.cbow, word, k=6, vocab=vocab, exclude=specials)
            logger.info("%-8s %s", word, "  ".join(f"{w} ({s:.2f})" for w, s in neighbours))
    if all(w in vocab for w in ("man", "men", "whale")):
        answer = analogy(model.cbow, "man", "men", "whale", k=3, vocab=vocab)
        logger.info("man : men :: whale : %s", ", ".join(w for w, _ in answer))


if __name__ == "__main__":
    main()
