"""Zero-, one- and few-shot evaluation of a GPT by log-likelihood, with no gradient step.

Run: python examples/few_shot_gpt.py [--steps 400]
Pretrains a tiny GPT briefly, then asks it for the mood of held-out sentences (statement /
question / exclamation) after k demonstrations. A model this small and this briefly trained is not
expected to learn in context on natural text; the script shows the evaluation, and the numbers say
what a model of this size does.
"""

from __future__ import annotations

import argparse
import json

from transformers import AutoModelForCausalLM, AutoTokenizer

from hf_ssl.analysis import PromptFormat, few_shot_accuracy
from hf_ssl.data import load_default_corpus
from hf_ssl.data.tasks import sentence_mood_examples
from hf_ssl.recipes import PretrainSettings, pretrain


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--output", default="runs/example-gpt-few-shot")
    parser.add_argument("--test-size", type=int, default=60)
    args = parser.parse_args()

    pretrain(
        PretrainSettings(
            model="gpt", preset="tiny", output=args.output, steps=args.steps, vocab_size=4000, seq_len=128
        )
    )
    model = AutoModelForCausalLM.from_pretrained(args.output)
    tokenizer = AutoTokenizer.from_pretrained(args.output)
    rows = [(r["text"][:200], r["label"]) for r in sentence_mood_examples(load_default_corpus())]
    train, test = rows[: len(rows) // 2], rows[len(rows) // 2 :][: max(3, min(args.test_size, 60))]
    fmt = PromptFormat(
        instruction="Is the sentence a statement, a question or an exclamation?",
        template="Sentence: {input}\nMood: {output}",
    )
    results = {
        shots: few_shot_accuracy(
            model,
            tokenizer,
            fmt,
            train,
            test,
            shots=shots,
            candidates=["statement", "question", "exclamation"],
        )["accuracy"]
        for shots in (0, 1, 3)
    }
    print(json.dumps({"accuracy_by_shots": results, "chance": 1 / 3}, indent=2))


if __name__ == "__main__":
    main()
