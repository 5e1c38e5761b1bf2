"""Named published sizes as config keyword arguments.

BERT: Devlin et al. 2019 §3 (base, large); the compact sizes are Turc et al. 2019, "Well-Read
Students Learn Better" (google-research/bert README.md:3-31). RoBERTa: Liu et al. 2019 (fairseq
base/large). ELECTRA: Clark et al. 2020 (sizes below).
ALBERT: Lan et al. 2020 Table 1 (E=128, all layers shared; google-research/albert README). Each preset is the architecture only; vocabulary size comes from the tokenizer.
"""

from __future__ import annotations

from typing import Any


def _encoder(layers: int, hidden: int, heads: int) -> dict[str, Any]:
    return {
        "num_hidden_layers": layers,
        "hidden_size": hidden,
        "num_attention_heads": heads,
        "intermediate_size": 4 * hidden,
    }


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
    # ELECTRA: Clark et al. 2020 Table 6 / google-research/electra util/training_utils.py:96-112;
    # generator at 1/4 of the width for Small, 1/3 for Base and Large (run_pretraining.py:338-348).
    "electra-tiny": {**_encoder(2, 128, 2), "embedding_size": 128, "generator_size": 0.25},
    "electra-small": {**_encoder(12, 256, 4), "embedding_size": 128, "generator_size": 0.25},
    "electra-base": {**_encoder(12, 768, 12), "embedding_size": 768, "generator_size": 1 / 3},
    "electra-large": {**_encoder(24, 1024, 16), "embedding_size": 1024, "generator_size": 1 / 3},
}


def preset(name: str, **overrides: Any) -> dict[str, Any]:
    """Config keyword arguments of a named size, with overrides (e.g. vocab_size) applied."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; expected one of {sorted(PRESETS)}")
    return {**PRESETS[name], **overrides}
