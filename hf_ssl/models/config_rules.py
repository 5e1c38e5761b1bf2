"""Rules every hf_ssl config shares, checked when a config is built: a bad value raises ValueError
naming it and what was expected, and a misspelled field is not silently kept as an extra attribute."""

from __future__ import annotations

import dataclasses
import difflib
from typing import Any

from transformers import PreTrainedConfig
from transformers.activations import ACT2FN


def require(condition: bool, message: str) -> None:
    """Raise ValueError(message) unless condition holds: config validation reads as a list of rules."""
    if not condition:
        raise ValueError(message)


# A learned position table of more rows than this is a typo (1e12 would ask for terabytes at init).
MAX_POSITIONS = 2**20


def require_size(name: str, value: Any) -> None:
    """A positive integer (not a bool); a position table no larger than MAX_POSITIONS rows."""
    require(
        isinstance(value, int) and not isinstance(value, bool) and value > 0,
        f"{name}={value!r}; expected a positive integer",
    )
    if name == "max_position_embeddings":
        require(
            value <= MAX_POSITIONS,
            f"{name}={value}; expected at most {MAX_POSITIONS} (a learned table's rows)",
        )


SIZE_FIELDS = (
    "vocab_size",
    "hidden_size",
    "num_hidden_layers",
    "num_attention_heads",
    "intermediate_size",
    "max_position_embeddings",
)


def validate_transformer_fields(config: PreTrainedConfig, dropout_fields: tuple[str, ...]) -> None:
    """The rules every Transformer config here shares: positive sizes, heads dividing the width,
    a known activation, dropout probabilities in [0, 1)."""
    for name in SIZE_FIELDS:
        require_size(name, getattr(config, name))
    require(
        config.hidden_size % config.num_attention_heads == 0,
        f"hidden_size={config.hidden_size} is not divisible by num_attention_heads={config.num_attention_heads}",
    )
    require(
        config.hidden_act in ACT2FN, f"hidden_act={config.hidden_act!r}; expected one of {sorted(ACT2FN)}"
    )
    for name in dropout_fields:
        value = getattr(config, name)
        require(value is None or 0.0 <= value < 1.0, f"{name}={value}; expected a probability in [0, 1)")


def refuse_misspelled_fields(config: PreTrainedConfig, extra: dict[str, Any]) -> None:
    """Raise on an unknown key that is a near miss of a field (`hiden_size`), naming the field.

    Other unknown keys are kept as attributes, as transformers does: configs on the Hub carry keys of
    their own (training settings, task names), and they must keep loading. So does every key of a
    config that save_pretrained wrote (it records `transformers_version`): an attribute set on a
    config before saving (`config.layer_norm_epsilon = ...` beside `layer_norm_eps`) is the user's
    own, and the checkpoint must load back.
    """
    if config.transformers_version is not None:
        return
    known = {field.name for field in dataclasses.fields(config)} | set(config.attribute_map)
    for key, value in extra.items():
        if key in known or hasattr(type(config), key):  # a property such as num_labels
            continue
        match = difflib.get_close_matches(key, known, n=1, cutoff=0.85)
        if match:
            raise ValueError(
                f"{type(config).__name__} got {key}={value!r}, which is not one of its fields; did you mean "
                f"{match[0]!r}?"
            )
