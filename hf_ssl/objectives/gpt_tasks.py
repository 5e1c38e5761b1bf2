"""GPT-1's task-specific input transformations as a collator (Radford et al. 2018 §3.3, Figure 1).

Every task becomes token sequences the pretrained decoder can read, framed by a start token and an
extract token whose final state the classifier uses (openai/finetune-transformer-lm train.py:229-245):

- classification:   [start] text [extract]
- entailment:       [start] premise [delim] hypothesis [extract]
- similarity:       both orders, [start] A [delim] B [extract] and [start] B [delim] A [extract],
                    returned as (b, 2, t); the model sums the two final states
- multiple choice:  [start] context [delim] answer_k [extract] for every k, returned as (b, c, t)

Features carry token ids: `input_ids` (the text, premise, first sentence or context), `pair_ids` (the
hypothesis or second sentence), `choices` (a list of answers' ids) and `label`. Too-long inputs are
cut from the end of the longest part, so the special tokens always survive.

Shapes: b batch, c choices (or 2 orders), t length.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import torch

from hf_ssl.objectives.tokenizer_fields import accepts_tokenizer, construct, pad_or_eos_id

__all__ = ["GPT_TASK_TOKENS", "GPTTaskCollator"]

GPT_TASK_TOKENS = ("_start_", "_delimiter_", "_classify_")
"""GPT-1's special tokens, appended to the BPE vocabulary at fine-tuning time (train.py:372-376)."""
_TASK_TOKEN_FIELDS = ("start_token_id", "delimiter_token_id", "extract_token_id")

Task = Literal["classification", "entailment", "similarity", "multiple_choice"]
TASKS: tuple[str, ...] = ("classification", "entailment", "similarity", "multiple_choice")
NEEDS = {
    "classification": ("input_ids",),
    "entailment": ("input_ids", "pair_ids"),
    "similarity": ("input_ids", "pair_ids"),
    "multiple_choice": ("input_ids", "choices"),
}


def _fit(parts: list[list[int]], budget: int) -> list[list[int]]:
    """Trim the longest part from its end, one token at a time, until the parts fit `budget`."""
    parts = [list(p) for p in parts]
    while sum(map(len, parts)) > budget:
        longest = max(range(len(parts)), key=lambda i: len(parts[i]))
        parts[longest].pop()
    return parts


@accepts_tokenizer
@dataclass
class GPTTaskCollator:
    """Builds GPT-1 task inputs: input_ids, attention_mask and labels, right-padded.

    Args:
        task: "classification", "entailment", "similarity" or "multiple_choice".
        start_token_id, delimiter_token_id, extract_token_id: the three task tokens
            (see GPT_TASK_TOKENS).
        pad_token_id: padding id (masked out).
        max_length: longest sequence, special tokens included.
        tokenizer: (keyword only) fills the task token ids, adding GPT_TASK_TOKENS to the tokenizer
            as special tokens when it lacks them, and `pad_token_id` (its pad, else its eos);
            fields passed explicitly win.
    """

    task: Task
    start_token_id: int
    delimiter_token_id: int
    extract_token_id: int
    pad_token_id: int
    max_length: int = 512

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ValueError(f"task={self.task!r}; expected one of {TASKS}")
        if self.max_length < 4:
            raise ValueError(
                f"max_length={self.max_length}; expected >= 4 (three special tokens and a token)"
            )

    @classmethod
    def _tokenizer_fields(cls, tokenizer: Any, given: Mapping[str, Any]) -> dict[str, Any]:
        """The task tokens' ids, added to `tokenizer` as special tokens when missing (resize the
        model's embeddings after) unless all three ids are given, and the pad id (else eos)."""
        fields: dict[str, Any] = {}
        if any(name not in given for name in _TASK_TOKEN_FIELDS):
            missing = [t for t in GPT_TASK_TOKENS if t not in tokenizer.get_vocab()]
            if missing:
                tokenizer.add_special_tokens({"additional_special_tokens": missing})
            ids = tokenizer.convert_tokens_to_ids(list(GPT_TASK_TOKENS))
            fields.update(zip(_TASK_TOKEN_FIELDS, ids, strict=True))
        if "pad_token_id" not in given:
            fields["pad_token_id"] = pad_or_eos_id(tokenizer)
        return fields

    @classmethod
    def from_tokenizer(cls, tokenizer: Any, task: Task, **kwargs: Any) -> GPTTaskCollator:
        """``GPTTaskCollator(task, tokenizer=tokenizer, **kwargs)``; adds GPT-1's task tokens to
        `tokenizer` if missing (resize the model's embeddings after)."""
        return construct(cls, tokenizer, task, **kwargs)

    def _frame(self, first: list[int], second: list[int] | None) -> list[int]:
        budget = self.max_length - (3 if second is not None else 2)
        if second is None:
            (first,) = _fit([first], budget)
            return [self.start_token_id, *first, self.extract_token_id]
        first, second = _fit([first, second], budget)
        return [self.start_token_id, *first, self.delimiter_token_id, *second, self.extract_token_id]

    def _rows(self, feature: dict[str, Any], index: int) -> list[list[int]]:
        missing = [key for key in NEEDS[self.task] if key not in feature]
        if missing:
            raise ValueError(
                f"feature {index} lacks {missing} for task {self.task!r}; it has {sorted(feature)}"
            )
        text = list(feature["input_ids"])
        if self.task == "classification":
            return [self._frame(text, None)]
        if self.task == "entailment":
            return [self._frame(text, list(feature["pair_ids"]))]
        if self.task == "similarity":
            pair = list(feature["pair_ids"])
            return [self._frame(text, pair), self._frame(pair, text)]
        choices = feature["choices"]
        if not isinstance(choices, Sequence) or len(choices) < 2:
            raise ValueError(
                f"feature {index} has {len(choices) if isinstance(choices, Sequence) else choices!r} "
                "choices; expected a list of at least 2 answers"
            )
        return [self._frame(text, list(choice)) for choice in choices]

    def __call__(self, features: Sequence[dict[str, Any]]) -> dict[str, torch.Tensor]:
        if isinstance(features, dict) or len(features) == 0:
            raise ValueError("features must be a non-empty list of dicts")
        rows = [self._rows(feature, i) for i, feature in enumerate(features)]
        counts = {len(r) for r in rows}
        if len(counts) != 1:
            raise ValueError(f"every example needs the same number of choices, got {sorted(counts)}")
        length = max(len(seq) for r in rows for seq in r)
        input_ids = torch.full((len(rows), len(rows[0]), length), self.pad_token_id, dtype=torch.long)
        attention_mask = torch.zeros_like(input_ids)
        for i, example in enumerate(rows):
            for j, sequence in enumerate(example):
                input_ids[i, j, : len(sequence)] = torch.tensor(sequence)
                attention_mask[i, j, : len(sequence)] = 1
        if self.task in ("classification", "entailment"):
            input_ids, attention_mask = input_ids[:, 0], attention_mask[:, 0]  # (b, t)
        batch = {"input_ids": input_ids, "attention_mask": attention_mask}
        if "label" in features[0] or "labels" in features[0]:
            key = "label" if "label" in features[0] else "labels"
            batch["labels"] = torch.tensor([feature[key] for feature in features])
        return batch
