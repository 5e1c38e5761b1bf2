"""FamilySpec: what one model family declares about itself, once, in its `models/<name>/__init__.py`.

The spec names everything the layers above `models/` need to know about a family (Auto heads, presets,
pretraining, tokenizer, model card, Hub task, the tiny configs the generic tests run and the shapes
the speed benchmark times). Objects from those upper layers (a pretraining builder,
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


BENCH_MAX_LENGTH = 512
"""The longest row the speed benchmark feeds (its position tables need at least this many rows)."""


def encoder_sizes(layers: int, hidden: int, heads: int) -> dict[str, Any]:
    """BERT/GPT-style size fields for a benchmark shape: FFN 4H, positions for BENCH_MAX_LENGTH."""
    return {
        "num_hidden_layers": layers,
        "hidden_size": hidden,
        "num_attention_heads": heads,
        "intermediate_size": 4 * hidden,
        "max_position_embeddings": BENCH_MAX_LENGTH,
    }


def seq2seq_sizes(layers: int, hidden: int, heads: int) -> dict[str, Any]:
    """BART-style size fields (encoder and decoder alike) for a benchmark shape."""
    sides = {"layers": layers, "attention_heads": heads, "ffn_dim": 4 * hidden}
    return {
        "d_model": hidden,
        "max_position_embeddings": BENCH_MAX_LENGTH,
        **{f"{side}_{key}": value for side in ("encoder", "decoder") for key, value in sides.items()},
    }


@dataclass(frozen=True)
class BenchShape:
    """A model `hf-ssl bench` times against its transformers twin.

    Attributes:
        head: the hf_ssl model class (converted to its twin with `to_transformers`).
        config: the config fields of that size.
        objective: which batch it trains on: "mlm", "causal" or "seq2seq".
        pad_token_id: the padding id of its batches.
        position_offset: where its positions start (RoBERTa: after padding_idx, 2).
    """

    head: type[PreTrainedModel]
    config: Mapping[str, Any]
    objective: Literal["mlm", "causal", "seq2seq"]
    pad_token_id: int = 0
    position_offset: int = 0


# MultiHeadAttention's input projections: self-attention's fused q/k/v, cross-attention's q and fused k/v.
ATTENTION_INPUT_PROJECTIONS = ("qkv_proj", "q_proj", "kv_proj")


@dataclass(frozen=True)
class FamilySpec:
    """One model family.

    Attributes:
        name: the family's key, its folder and its `model_type` without the `hf_ssl_` prefix.
        config_class: the family's configuration class.
        heads: {transformers Auto class: model class}, in the order the Auto classes are registered.
        hub_task: (a pipeline task of transformers that the pretrained model serves, or "other"; what
            the pretraining task is): the model card's pipeline tag and model-index task.
        card_template: stem of the card template in `hf_ssl/model_cards/`.
        cli_name: the name on the `hf-ssl` command line and the stem of its preset names.
        presets: {preset name prefix: the published vocabulary (and special ids) of those presets};
            empty when the family has no named sizes.
        pretraining: key of the `hf-ssl pretrain` builder, or None when the CLI cannot pretrain it.
        tokenizer: key of the tokenizer trainer `hf-ssl pretrain` uses, or None.
        transformers_converter: module in the family's folder that registers the weight maps from
            its transformers twin, or None when transformers has no twin.
        tiny_configs: {name: config fields} of the tiny models (hidden 16-32, 2-3 layers, a vocabulary
            of 128) every generic test runs over, each head of the family included.
        bench: {name: BenchShape} of the sizes `hf-ssl bench` times against transformers; empty
            without a transformers twin.
        lora_targets: the modules PEFT's LoRA adapts when a LoraConfig names none (the attention
            input projections, fused as GPT-2's `c_attn` is); empty for a family without attention.
        tokenizer_class: the tokenizer `AutoTokenizer` loads for the family's checkpoints when the
            family reads its text its own way (ELMo's characters); None for subword families, whose
            tokenizers are saved with their models.
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
    tiny_configs: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    bench: Mapping[str, BenchShape] = field(default_factory=dict)
    lora_targets: tuple[str, ...] = ATTENTION_INPUT_PROJECTIONS
    tokenizer_class: type | None = None

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
