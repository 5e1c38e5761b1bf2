"""BERT embryology: what a masked LM can predict, group by group, as pretraining goes on.

Chiang, Huang & Lee 2020 ("Pretrained Language Model Embryology: The Birth of ALBERT") track
masked-token accuracy per part of speech over pretraining checkpoints and find that function words
and frequent tokens are learned first. `MaskedTokenAccuracyCallback` does this for any MLM run with
transformers' Trainer: every `every` optimizer steps it scores a fixed probe batch (one masking of
held-out text, so every measurement sees the same positions) and records the accuracy of each
token group — parts of speech when the caller has a tagger, otherwise frequency bands from
`frequency_bands` (rare, middle, frequent by corpus counts).

Shapes: b probe rows, t length, V vocabulary.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from transformers import TrainerCallback

from ..constants import IGNORE_INDEX


def frequency_bands(
    counts: Mapping[int, int] | Sequence[int],
    vocab_size: int,
    names: Sequence[str] = ("rare", "middle", "frequent"),
) -> tuple[torch.Tensor, list[str]]:
    """Token id -> band index (V,), bands of equal token mass by corpus frequency, and their names.

    `counts` maps token ids to occurrences (or is a list of token ids to count). Bands split the
    running count of tokens sorted by frequency into equal thirds (for three names), so "frequent"
    holds the few ids that make up the top third of the text. Unseen ids are "rare".
    """
    if isinstance(counts, Mapping):
        table = torch.zeros(vocab_size, dtype=torch.float64)
        for token, count in counts.items():
            table[int(token)] = count
    else:
        table = torch.bincount(torch.as_tensor(list(counts), dtype=torch.long), minlength=vocab_size).double()
    if table.numel() != vocab_size or table.sum() == 0:
        raise ValueError(
            f"counts cover {int(table.sum())} tokens over {table.numel()} ids; expected tokens in [0, {vocab_size})"
        )
    order = table.argsort()  # rare first
    cumulative = table[order].cumsum(0) / table.sum()  # (V,)
    band_of_sorted = (cumulative * len(names)).ceil().long().clamp(1, len(names)) - 1
    bands = torch.empty(vocab_size, dtype=torch.long)
    bands[order] = band_of_sorted
    bands[table == 0] = 0
    return bands, list(names)


def grouped_accuracy(
    logits: torch.Tensor, labels: torch.Tensor, groups: torch.Tensor, names: Sequence[str]
) -> dict[str, float]:
    """Accuracy of argmax predictions at labelled positions, overall and per group.

    logits (b, t, V); labels (b, t) with IGNORE_INDEX where nothing was masked; groups (b, t) the
    group index of each position (or (V,) indexed by the label's token id). Groups with no masked
    token are left out.
    """
    labelled = labels.ne(IGNORE_INDEX)  # (b, t)
    if not bool(labelled.any()):
        raise ValueError("the probe batch has no labelled (masked) position")
    correct = logits.argmax(-1).eq(labels) & labelled  # (b, t)
    position_groups = groups[labels.clamp(min=0)] if groups.dim() == 1 else groups  # (b, t)
    scores = {"accuracy": float(correct.sum() / labelled.sum())}
    for index, name in enumerate(names):
        in_group = labelled & position_groups.eq(index)
        if bool(in_group.any()):
            scores[f"accuracy_{name}"] = float((correct & in_group).sum() / in_group.sum())
    return scores


class MaskedTokenAccuracyCallback(TrainerCallback):
    """Every `every` optimizer steps, masked-token accuracy per group on a fixed probe batch.

    Args:
        probe: a collated MLM batch (input_ids, attention_mask, labels, ...) drawn once from
            held-out text, e.g. `MaskedLMCollator(..., seed=0)(held_out_rows)`.
        groups: (V,) group index per token id (`frequency_bands`), or (b, t) per probe position
            (part-of-speech tags aligned to the probe's tokens).
        names: the group names.
        every: measure every `every` optimizer steps (and at step 0, before training).
    The measurements accumulate in `history` ({"step": ..., "accuracy": ..., "accuracy_<group>": ...})
    and are added to Trainer's `state.log_history`, so they land in `trainer_state.json`.
    """

    def __init__(
        self, probe: Mapping[str, torch.Tensor], groups: torch.Tensor, names: Sequence[str], every: int = 100
    ) -> None:
        if "labels" not in probe:
            raise ValueError(f"the probe batch needs MLM 'labels'; it has {sorted(probe)}")
        if every < 1:
            raise ValueError(f"every={every}; expected a positive number of steps")
        self.probe = dict(probe)
        self.groups = groups
        self.names = list(names)
        self.every = every
        self.history: list[dict[str, float]] = []

    @torch.no_grad()
    def measure(self, model: Any, step: int) -> dict[str, float]:
        was_training = model.training
        model.eval()  # eval mode: full (b, t, V) logits, no dropout
        device = next(model.parameters()).device
        inputs = {k: v.to(device) for k, v in self.probe.items() if k != "labels"}
        logits = model(**inputs).logits.cpu()
        model.train(was_training)
        record = {
            "step": float(step),
            **grouped_accuracy(logits, self.probe["labels"], self.groups, self.names),
        }
        self.history.append(record)
        return record

    def on_train_begin(self, args: Any, state: Any, control: Any, model: Any = None, **kwargs: Any) -> None:
        if model is not None and state.global_step == 0:
            state.log_history.append(self.measure(model, 0))

    def on_step_end(self, args: Any, state: Any, control: Any, model: Any = None, **kwargs: Any) -> None:
        if model is not None and state.global_step % self.every == 0:
            state.log_history.append(self.measure(model, state.global_step))
