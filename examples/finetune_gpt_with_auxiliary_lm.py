"""Fine-tune a tiny pretrained GPT on a classification file with GPT-1's auxiliary LM loss.

Run: python examples/finetune_gpt_with_auxiliary_lm.py [--steps 400] [--epochs 3]
Pretrains briefly (`hf-ssl pretrain --model gpt`), writes the sentence-mood task (statement /
question / exclamation) as CSV files, then fine-tunes with `hf-ssl finetune`: inputs are framed as
[start] text [classify] and the loss is L2 + 0.5 · L1 (config.lm_coef).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from hf_ssl.data import load_default_corpus
from hf_ssl.data.tasks import sentence_mood_examples, write_task_files
from hf_ssl.recipes import FinetuneSettings, PretrainSettings, finetune, pretrain


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--epochs", type=float, default=3.0)
    parser.add_argument("--output", default="runs/example-gpt-mood")
    args = parser.parse_args()

    pretrained = f"{args.output}-pretrained"
    pretrain(
        PretrainSettings(model="gpt", preset="tiny", output=pretrained, steps=args.steps, vocab_size=4000)
    )
    rows = sentence_mood_examples(load_default_corpus())
    if args.steps < 10:  # smoke runs: a slice of the task
        rows = rows[:60]
    train_file, eval_file = write_task_files(rows, Path(f"{args.output}-task"))
    metrics = finetune(
        FinetuneSettings(
            model_dir=pretrained,
            train_file=str(train_file),
            eval_file=str(eval_file),
            output=args.output,
            epochs=args.epochs if args.steps >= 10 else 1.0,
        )
    )
    print(json.dumps(metrics, indent=2))


if __name__ == "__main__":
    main()
