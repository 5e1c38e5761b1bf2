"""Named published sizes: `names()` lists them, `get_config(name)` builds the config.

Sources:
- BERT base/large: Devlin et al. 2019 §3; the compact sizes (tiny ... medium): Turc et al. 2019,
  "Well-Read Students Learn Better" (google-research/bert README.md:3-31).
- RoBERTa: Liu et al. 2019 (fairseq base/large).
- ALBERT: Lan et al. 2020 Table 1 (E=128, all layers shared; google-research/albert README).
- ELECTRA: Clark et al. 2020 (google-research/electra util/training_utils.py:96-112); generator at
  1/4 of the width for Small, 1/3 for Base and Large (run_pretraining.py:338-348).
- GPT: Radford et al. 2018 (117M, BPE 40,478, 512 positions, post-LN); GPT-2: Radford et al. 2019,
  the released 124M/355M/774M/1558M checkpoints (pre-LN, 1024 positions); Megatron-LM 8.3B
  (Shoeybi et al. 2019 Table 2: 72 layers, hidden 3072, 32 heads, vocab padded to 51,200);
  Turing-NLG 17B (Microsoft 2020: 78 layers, hidden 4256, 28 heads); GPT-3 175B (Brown et al. 2020
  Table 2.1: 96 layers, d_model 12288, 96 heads, context 2048).
- BART: Lewis et al. 2020 §2.1/§5 (fairseq bart.base 6+6 x 768, bart.large 12+12 x 1024).
- MASS: Song et al. 2019; MASS-base (microsoft/MASS s2s_model.py transformer_mass_base, 6+6 x 768).
- Prefix LM: Raffel et al. 2020 §3.2.1 compare it at their base size; here GPT-2 small's shape.
- T5: Raffel et al. 2020 §3.1.1 and Table 14 (small/base/large: d_model 512/768/1024, d_ff
  2048/3072/4096, 6/12/24 layers per stack, 8/12/16 heads, d_kv 64); T5 v1.1 base (gated GELU,
  d_ff 2048, untied head; google-research/text-to-text-transfer-transformer released_checkpoints.md).
- Switch: Fedus et al. 2021 Table 9 / the released switch-base-E checkpoints (T5-base dims, E experts
  in every other FFN, expert capacity 64 per group; loss weights: the paper's α = 1e-2, z-loss 1e-3).

`preset(name)` returns the architecture keyword arguments alone (the vocabulary then comes from a
tokenizer); `get_config(name)` adds the published vocabulary and builds the family's config.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from transformers import PreTrainedConfig

from .models.registry import FAMILIES


def _encoder(layers: int, hidden: int, heads: int) -> dict[str, Any]:
    return {
        "num_hidden_layers": layers,
        "hidden_size": hidden,
        "num_attention_heads": heads,
        "intermediate_size": 4 * hidden,
    }


def _gpt2(layers: int, hidden: int, heads: int, **extra: Any) -> dict[str, Any]:
    return {
        **_encoder(layers, hidden, heads),
        "norm_position": "pre",
        "max_position_embeddings": 1024,
        **extra,
    }


def _seq2seq(layers: int, hidden: int, heads: int, **extra: Any) -> dict[str, Any]:
    sizes = {"layers": layers, "attention_heads": heads, "ffn_dim": 4 * hidden}
    return {
        "d_model": hidden,
        **{f"{side}_{name}": value for side in ("encoder", "decoder") for name, value in sizes.items()},
        **extra,
    }


def _t5(layers: int, hidden: int, heads: int, ff: int, **extra: Any) -> dict[str, Any]:
    # Alias names (hidden_size, ...) so every preset answers the same keys; T5Config maps them.
    return {
        "num_hidden_layers": layers,
        "hidden_size": hidden,
        "num_attention_heads": heads,
        "d_ff": ff,
        **extra,
    }


def _switch(experts: int) -> dict[str, Any]:
    return _t5(
        12,
        768,
        12,
        3072,
        num_experts=experts,
        expert_capacity=64,
        encoder_sparse_step=2,
        decoder_sparse_step=2,
    )


PRESETS: dict[str, dict[str, Any]] = {
    "bert-tiny": _encoder(2, 128, 2),
    "bert-mini": _encoder(4, 256, 4),
    "bert-small": _encoder(4, 512, 8),
    "bert-medium": _encoder(8, 512, 8),
    "bert-base": _encoder(12, 768, 12),
    "bert-large": _encoder(24, 1024, 16),
    "roberta-tiny": _encoder(2, 128, 2),
    "roberta-base": _encoder(12, 768, 12),
    "roberta-large": _encoder(24, 1024, 16),
    "albert-tiny": {**_encoder(4, 128, 2), "embedding_size": 64, "num_hidden_groups": 1},
    "albert-base": {**_encoder(12, 768, 12), "embedding_size": 128, "num_hidden_groups": 1},
    "albert-large": {**_encoder(24, 1024, 16), "embedding_size": 128, "num_hidden_groups": 1},
    "albert-xlarge": {**_encoder(24, 2048, 16), "embedding_size": 128, "num_hidden_groups": 1},
    "albert-xxlarge": {**_encoder(12, 4096, 64), "embedding_size": 128, "num_hidden_groups": 1},
    "electra-tiny": {**_encoder(2, 128, 2), "embedding_size": 128, "generator_size": 0.25},
    "electra-small": {**_encoder(12, 256, 4), "embedding_size": 128, "generator_size": 0.25},
    "electra-base": {**_encoder(12, 768, 12), "embedding_size": 768, "generator_size": 1 / 3},
    "electra-large": {**_encoder(24, 1024, 16), "embedding_size": 1024, "generator_size": 1 / 3},
    "gpt-tiny": _gpt2(2, 128, 2, max_position_embeddings=256),
    "gpt": {**_encoder(12, 768, 12), "norm_position": "post", "max_position_embeddings": 512},
    "gpt2": _gpt2(12, 768, 12),
    "gpt2-medium": _gpt2(24, 1024, 16),
    "gpt2-large": _gpt2(36, 1280, 20),
    "gpt2-xl": _gpt2(48, 1600, 25),
    "megatron-lm": _gpt2(72, 3072, 32),
    "turing-nlg": _gpt2(78, 4256, 28),
    "gpt3-175b": _gpt2(96, 12288, 96, max_position_embeddings=2048),
    "bart-tiny": _seq2seq(2, 128, 2, max_position_embeddings=256),
    "bart-base": _seq2seq(6, 768, 12),
    "bart-large": _seq2seq(12, 1024, 16),
    "mass-tiny": _seq2seq(2, 128, 2, max_position_embeddings=256),
    "mass-base": _seq2seq(6, 768, 12),
    "prefix-lm-tiny": _gpt2(2, 128, 2, max_position_embeddings=256),
    "prefix-lm-base": _gpt2(12, 768, 12),
    "t5-tiny": _t5(2, 128, 2, 512),
    "t5-small": _t5(6, 512, 8, 2048),
    "t5-base": _t5(12, 768, 12, 3072),
    "t5-large": _t5(24, 1024, 16, 4096),
    "t5-v1_1-base": _t5(12, 768, 12, 2048, feed_forward_proj="gated-gelu", tie_word_embeddings=False),
    "switch-base-8": _switch(8),
    "switch-base-16": _switch(16),
    "switch-base-32": _switch(32),
    "switch-base-64": _switch(64),
    "switch-base-128": _switch(128),
}

# The family's config class and its published vocabulary, by the preset name's first word.
_FAMILIES: dict[str, tuple[type[PreTrainedConfig], Mapping[str, Any]]] = {
    prefix: (spec.config_class, vocabulary)
    for spec in FAMILIES.values()
    for prefix, vocabulary in spec.presets.items()
}


def names() -> list[str]:
    """Every named size."""
    return sorted(PRESETS)


def preset(name: str, **overrides: Any) -> dict[str, Any]:
    """Config keyword arguments of a named size, with overrides (e.g. vocab_size) applied."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; expected one of {names()}")
    return {**PRESETS[name], **overrides}


def get_config(name: str, **overrides: Any) -> PreTrainedConfig:
    """The config of a named size with its published vocabulary (overrides win)."""
    arguments = preset(name)
    family = name.split("-")[0]
    config_class, defaults = _FAMILIES[family]
    return config_class(**{**defaults, **arguments, **overrides})
