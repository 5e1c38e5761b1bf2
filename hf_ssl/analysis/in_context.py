"""In-context learning: zero-, one- and few-shot prompts scored by log-likelihood, no gradient steps.

Brown et al. 2020 (GPT-3) §2: the model sees a task description and k demonstrations, then the
query; each candidate answer is scored by the log-probability the model gives its tokens after the
prompt, and the best one is the prediction (their multiple-choice evaluation, optionally normalised
by the number of answer tokens). Radford et al. 2019 (GPT-2) evaluates zero-shot the same way.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch.nn import functional as F


@dataclass(frozen=True)
class PromptFormat:
    """How a task is written: an optional description, a template per example, a separator.

    The template holds `{input}` and `{output}`; a prompt ends just before the query's `{output}`, so
    every answer is scored exactly where demonstrations put theirs. The default writes
    "Input: ...\\nOutput: ..." blocks separated by blank lines.
    """

    instruction: str = ""
    template: str = "Input: {input}\nOutput: {output}"
    separator: str = "\n\n"

    def __post_init__(self) -> None:
        if self.template.count("{output}") != 1 or "{input}" not in self.template:
            raise ValueError(f"template={self.template!r}; expected one {{input}} and exactly one {{output}}")
        if not self.template.rstrip().endswith("{output}"):
            raise ValueError(
                f"template={self.template!r}; {{output}} must come last so answers can be scored"
            )

    @property
    def answer_gap(self) -> str:
        """The white space the template puts before `{output}`; it opens every scored answer."""
        before = self.template.split("{output}")[0]
        return before[len(before.rstrip()) :]


def build_prompt(fmt: PromptFormat, demonstrations: Sequence[tuple[str, str]], query: str) -> str:
    """The prompt for `query` after the demonstrations (input, output) pairs; zero-shot when empty.

    It stops before the white space that precedes the answer (see PromptFormat.answer_gap).
    """
    blocks = [fmt.instruction] if fmt.instruction else []
    blocks += [fmt.template.format(input=x, output=y) for x, y in demonstrations]
    blocks.append(fmt.template.split("{output}")[0].format(input=query).rstrip())
    return fmt.separator.join(blocks)


@torch.no_grad()
def score_candidates(
    model: Any, tokenizer: Any, prompt: str, candidates: Sequence[str], *, length_normalize: bool = False
) -> torch.Tensor:
    """log P(candidate | prompt) for each candidate, (c,): summed over its tokens, or averaged.

    The prompt and each candidate are tokenised separately and concatenated, so every candidate is
    conditioned on the identical prompt tokens.
    """
    if not candidates:
        raise ValueError("candidates is empty; expected at least one answer to score")
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    answer_ids = [tokenizer(c, add_special_tokens=False)["input_ids"] for c in candidates]
    for candidate, ids in zip(candidates, answer_ids, strict=True):
        if not ids:
            raise ValueError(f"candidate {candidate!r} has no tokens")
    rows = [prompt_ids + ids for ids in answer_ids]
    length = max(map(len, rows))
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    device = next(model.parameters()).device
    input_ids = torch.full((len(rows), length), pad, dtype=torch.long, device=device)
    attention_mask = torch.zeros_like(input_ids)
    for i, row in enumerate(rows):
        input_ids[i, : len(row)] = torch.tensor(row, device=device)
        attention_mask[i, : len(row)] = 1
    was_training = model.training
    model.eval()
    logits = model(input_ids=input_ids, attention_mask=attention_mask).logits.float()  # (c, t, V)
    model.train(was_training)
    log_probs = (
        F.log_softmax(logits[:, :-1], dim=-1).gather(-1, input_ids[:, 1:, None]).squeeze(-1)
    )  # (c, t-1)
    scores = []
    for i, ids in enumerate(answer_ids):
        start = len(prompt_ids) - 1  # the logit at position p predicts token p + 1
        answer = log_probs[i, start : start + len(ids)]
        scores.append(answer.mean() if length_normalize else answer.sum())
    return torch.stack(scores)


def few_shot_accuracy(
    model: Any,
    tokenizer: Any,
    fmt: PromptFormat,
    train_examples: Sequence[tuple[str, str]],
    test_examples: Sequence[tuple[str, str]],
    *,
    shots: int,
    candidates: Sequence[str],
    seed: int = 0,
    length_normalize: bool = False,
) -> dict[str, Any]:
    """Accuracy on `test_examples` with `shots` demonstrations drawn (seeded) from `train_examples`.

    Every test example gets its own random demonstrations; the prediction is the best-scoring
    candidate. Returns accuracy, predictions and the first prompt (for inspection).
    """
    if shots < 0 or shots > len(train_examples):
        raise ValueError(f"shots={shots}; expected between 0 and the {len(train_examples)} training examples")
    unknown = sorted({y for _, y in test_examples} - set(candidates))
    if unknown:
        raise ValueError(f"test answers {unknown} are not among the candidates {list(candidates)}")
    rng = random.Random(seed)
    predictions, first_prompt = [], None
    for query, _ in test_examples:
        demonstrations = rng.sample(list(train_examples), shots)
        prompt = build_prompt(fmt, demonstrations, query)
        first_prompt = first_prompt or prompt
        answers = [fmt.answer_gap + c for c in candidates]
        scores = score_candidates(model, tokenizer, prompt, answers, length_normalize=length_normalize)
        predictions.append(candidates[int(scores.argmax())])
    correct = sum(p == y for p, (_, y) in zip(predictions, test_examples, strict=True))
    return {
        "accuracy": correct / max(1, len(test_examples)),
        "predictions": predictions,
        "shots": shots,
        "first_prompt": first_prompt,
    }
