"""The tiny models that every generic test runs over, and their inputs.

A family joins the generic suite by declaring `tiny_configs` in its FamilySpec: every head
registered for it in `hf_ssl.AUTO_CLASSES` is then tested (save/load, Auto resolution, padding, eager vs sdpa, backward,
Trainer gradient accumulation, activation checkpointing).
"""

from __future__ import annotations

from typing import Any

import torch
from transformers import PreTrainedConfig, PreTrainedModel

import hf_ssl
from hf_ssl.models.registry import FAMILIES

VOCAB = 128
BATCH, LENGTH, CHOICES = 3, 10, 2
LENGTHS = (10, 7, 4)  # rows are right-padded to LENGTH

# Every family's tiny configs, as its FamilySpec declares them (hf_ssl/models/<name>/__init__.py).
TINY_CONFIGS: dict[str, PreTrainedConfig] = {
    name: spec.config_class(**fields)
    for spec in FAMILIES.values()
    for name, fields in spec.tiny_configs.items()
}
assert all(getattr(config, "vocab_size", VOCAB) == VOCAB for config in TINY_CONFIGS.values())

# Two families share GPTConfig; the registry is keyed by family, Auto classes by config class.
CAUSAL_FAMILIES = ("gpt2", "gpt1", "prefix_lm")
# Mixture-of-experts families: routing statistics are per batch.
ROUTED_FAMILIES = ("switch",)
# Families without attention: no kernel to choose, no activation checkpointing to compare.
RECURRENT_FAMILIES = ("elmo", "cbow", "taglm")


def all_heads() -> list[tuple[str, type, type[PreTrainedModel]]]:
    """(family, Auto class, model class) for every registered head of every tiny family."""
    heads = []
    for family, config in TINY_CONFIGS.items():
        for auto_class, model_class in hf_ssl.AUTO_CLASSES[type(config)].items():
            heads.append((family, auto_class, model_class))
    return heads


def head_id(head: tuple[str, type, type]) -> str:
    return f"{head[0]}-{head[1].__name__}-{head[2].__name__}"


def make_model(family: str, model_class: type[PreTrainedModel], attn: str = "sdpa", seed: int = 0) -> Any:
    torch.manual_seed(seed)
    config = type(TINY_CONFIGS[family]).from_dict(TINY_CONFIGS[family].to_dict())
    if family in RECURRENT_FAMILIES:
        return model_class._from_config(config)
    return model_class._from_config(config, attn_implementation=attn)


def make_inputs(
    model: PreTrainedModel, *, labels: bool = False, seed: int = 0, equal_masks: bool = False
) -> dict:
    """A right-padded batch (rows of LENGTHS) for `model`, with the labels its head takes."""
    g = torch.Generator().manual_seed(seed)
    model_type = model.config.model_type
    if model_type in _SPECIAL_INPUTS:
        return _SPECIAL_INPUTS[model_type](model, labels, g)
    pad = model.config.pad_token_id
    ids = torch.randint(5, VOCAB, (BATCH, LENGTH), generator=g)
    mask = torch.zeros(BATCH, LENGTH, dtype=torch.long)
    for row, length in enumerate(LENGTHS):
        mask[row, :length] = 1
    if model.config.is_encoder_decoder:
        # Sequence-to-sequence inputs end with </s>; BART's classifier reads the decoder's state there.
        ids[torch.arange(BATCH), torch.tensor(LENGTHS) - 1] = model.config.eos_token_id
    ids[mask == 0] = pad
    inputs: dict[str, Any] = {"input_ids": ids, "attention_mask": mask}
    if model.segment_embeddings:
        types = torch.zeros_like(ids)
        types[:, LENGTH // 2 :] = 1
        inputs["token_type_ids"] = types * mask
    name = type(model).__name__
    if "MultipleChoice" in name:
        inputs = {k: torch.stack([v, v.roll(1, dims=0)], dim=1) for k, v in inputs.items()}  # (b, c, t)
    if not labels and type(model) not in SAMPLING:
        return inputs
    if "LMHead" in name or "CausalLM" in name or "ConditionalGeneration" in name:
        inputs["labels"] = ids.masked_fill(mask == 0, -100)
    elif "ReplacedToken" in name:
        inputs["labels"] = torch.randint(0, 2, (BATCH, LENGTH), generator=g).masked_fill(mask == 0, -100)
    elif "MaskedLM" in name or "PreTraining" in name:
        mlm = torch.full_like(ids, -100)
        for row, length in enumerate(LENGTHS):
            count = 2 if equal_masks else 1 + row
            positions = torch.randperm(length - 1, generator=g)[:count] + 1
            mlm[row, positions] = ids[row, positions]
        inputs["labels"] = mlm
        if "PreTraining" in name and (("Bert" in name and "Roberta" not in name) or "Albert" in name):
            pair_label = "sentence_order_label" if "Albert" in name else "next_sentence_label"
            inputs[pair_label] = torch.randint(0, 2, (BATCH,), generator=g)
    elif "TokenClassification" in name:
        inputs["labels"] = torch.randint(
            0, model.config.num_labels, (BATCH, LENGTH), generator=g
        ).masked_fill(mask == 0, -100)
    elif "QuestionAnswering" in name:
        inputs["start_positions"] = torch.tensor([1, 2, 0])
        inputs["end_positions"] = torch.tensor([3, 5, 2])
    elif "NextSentence" in name or "MultipleChoice" in name:
        inputs["labels"] = torch.randint(0, 2, (BATCH,), generator=g)
    elif "SequenceClassification" in name:
        inputs["labels"] = torch.randint(0, model.config.num_labels, (BATCH,), generator=g)
    return inputs


def _right_padding_mask() -> torch.Tensor:
    mask = torch.zeros(BATCH, LENGTH, dtype=torch.long)
    for row, length in enumerate(LENGTHS):
        mask[row, :length] = 1
    return mask


def _elmo_inputs(model: PreTrainedModel, labels: bool, g: torch.Generator) -> dict:
    """ELMo reads characters: random lowercase words as bilm-tf character ids (b, t, 50)."""
    from hf_ssl.objectives import batch_to_char_ids

    letters = "abcdefghijklmnopqrstuvwxyz"
    words = [
        ["".join(letters[i] for i in torch.randint(0, 26, (int(n),), generator=g).tolist()) for n in sizes]
        for sizes in (torch.randint(1, 8, (length,), generator=g) for length in LENGTHS)
    ]
    inputs: dict[str, Any] = {"input_ids": batch_to_char_ids(words), "attention_mask": _right_padding_mask()}
    name = type(model).__name__
    if not labels:
        return inputs
    if "PreTraining" in name:  # next / previous word over <S> w </S>: (b, t + 2)
        for key in ("forward_labels", "backward_labels"):
            targets = torch.randint(3, VOCAB, (BATCH, LENGTH + 2), generator=g)
            for row, length in enumerate(LENGTHS):
                targets[row, length + 2 :] = -100
            inputs[key] = targets
    elif "TokenClassification" in name:
        inputs["labels"] = torch.randint(0, 3, (BATCH, LENGTH), generator=g).masked_fill(
            inputs["attention_mask"] == 0, -100
        )
    elif "SequenceClassification" in name:
        inputs["labels"] = torch.randint(0, 3, (BATCH,), generator=g)
    return inputs


def _cbow_inputs(model: PreTrainedModel, labels: bool, g: torch.Generator) -> dict:
    """CBOWModel embeds any token rows; CBOWForPreTraining reads context windows (b, 2w) + centres."""
    mask = _right_padding_mask()
    ids = torch.randint(5, VOCAB, (BATCH, LENGTH), generator=g).masked_fill(mask == 0, 0)
    inputs: dict[str, Any] = {"input_ids": ids, "attention_mask": mask}
    if "PreTraining" in type(model).__name__:
        inputs["labels"] = torch.randint(5, VOCAB, (BATCH,), generator=g)
        inputs["negative_ids"] = torch.randint(5, VOCAB, (BATCH, model.config.num_negatives), generator=g)
    return inputs


def _taglm_inputs(model: PreTrainedModel, labels: bool, g: torch.Generator) -> dict:
    mask = _right_padding_mask()
    ids = torch.randint(5, VOCAB, (BATCH, LENGTH), generator=g).masked_fill(mask == 0, 0)
    inputs: dict[str, Any] = {"input_ids": ids, "attention_mask": mask}
    if labels:
        inputs["labels"] = torch.randint(0, 3, (BATCH, LENGTH), generator=g).masked_fill(mask == 0, -100)
    return inputs


_SPECIAL_INPUTS = {"hf_ssl_elmo": _elmo_inputs, "hf_ssl_cbow": _cbow_inputs, "hf_ssl_taglm": _taglm_inputs}


SAMPLING = {hf_ssl.ElectraForPreTraining}
"""Heads whose forward samples (ELECTRA's generator): they need labels and a seeded call."""


def run(model: PreTrainedModel, inputs: dict) -> Any:
    """Call `model` on `inputs` with the global seed fixed, so sampling heads are repeatable."""
    torch.manual_seed(1234)
    return model(**inputs)


def main_output(output: Any) -> torch.Tensor:
    """The head's principal tensor: logits, prediction logits, start logits or the last hidden state."""
    for key in ("logits", "prediction_logits", "start_logits", "forward_logits", "last_hidden_state"):
        if key in output and output[key] is not None:
            return output[key]
    raise AssertionError(f"no main output among {list(output.keys())}")


def is_token_level(model: PreTrainedModel) -> bool:
    name = type(model).__name__
    if name == "CBOWForPreTraining":  # one centre word per row
        return False
    return any(
        k in name
        for k in (
            "MaskedLM",
            "PreTraining",
            "TokenClassification",
            "QuestionAnswering",
            "ConditionalGeneration",
            "CausalLM",
        )
    ) or (name.endswith("Model"))
