"""FamilySpec: what one model family declares about itself, once, in its `models/<name>/__init__.py`.

The spec names everything the layers above `models/` need to know about a family (Auto heads, presets,
pretraining, tokenizer, model card, Hub task). Objects from those upper layers (a pretraining builder,
a tokenizer trainer) are named by key, never imported, so `models/` stays below them; the upper layer
looks the key up in its own table. `hf_ssl.models.registry` collects the specs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from transformers import PreTrainedConfig, PreTrainedModel

# Keys of the builders in hf_ssl.recipes.builders and the trainers in hf_ssl.recipes.pretraining.
PretrainingBuilder = Literal["pair", "mlm", "causal", "denoising", "prefix"]
TokenizerTrainer = Literal["wordpiece", "byte_level_bpe", "gpt2", "t5"]


@dataclass(frozen=True)
class FamilySpec:
    """One model family.

    Attributes:
        name: the family's key, its folder and its `model_type` without the `hf_ssl_` prefix.
        config_class: the family's configuration class.
        heads: {transformers Auto class: model class}, in the order the Auto classes are registered.
        hub_task: (Hub task id, what the pretraining task is): the model card's model-index task.
        card_template: stem of the card template in `hf_ssl/model_cards/`.
        cli_name: the name on the `hf-ssl` command line and the stem of its preset names.
        presets: {preset name prefix: the published vocabulary (and special ids) of those presets};
            empty when the family has no named sizes.
        pretraining: key of the `hf-ssl pretrain` builder, or None when the CLI cannot pretrain it.
        tokenizer: key of the tokenizer trainer `hf-ssl pretrain` uses, or None.
        transformers_converter: module in the family's folder that registers the weight maps from
            its transformers twin, or None when transformers has no twin.
    """

    name: str
    config_class: type[PreTrainedConfig]
    heads: Mapping[Any, type[PreTrainedModel]]
    hub_task: tuple[str, str]
    card_template: str = ""
    cli_name: str = ""
    presets: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    pretraining: PretrainingBuilder | None = None
    tokenizer: TokenizerTrainer | None = None
    transformers_converter: str | None = None

    def __post_init__(self) -> None:
        # Both default to the family name; the CLI spells underscores as hyphens ("prefix-lm").
        if not self.card_template:
            object.__setattr__(self, "card_template", self.name)
        if not self.cli_name:
            object.__setattr__(self, "cli_name", self.name.replace("_", "-"))
        if (self.pretraining is None) != (self.tokenizer is None):
            raise ValueError(
                f"family {self.name!r}: pretraining={self.pretraining!r} and tokenizer={self.tokenizer!r}; "
                "a pretrainable family needs both, others neither"
            )
