"""ALBERT configuration (Lan et al. 2020, "ALBERT: A Lite BERT for Self-supervised Learning").

BERT's fields plus the two parameter-reduction knobs of §3.1: `embedding_size` E (factorized
embedding, V·E + E·H parameters instead of V·H) and `num_hidden_groups` G (cross-layer sharing:
layer i runs group int(i·G/L)). Defaults are ALBERT-xxlarge's as in transformers' AlbertConfig;
dropout is 0 (google-research/albert modeling.py:53-54, README "no dropout" for v2).
"""

from __future__ import annotations

from typing import Any

from ..bert.configuration_bert import BertConfig
from ..config_rules import require


class AlbertConfig(BertConfig):
    """BertConfig with `embedding_size`, `num_hidden_groups` and ALBERT defaults.

    `inner_group_num` (layers inside one group) exists for checkpoint compatibility; every published
    ALBERT uses 1, which is the only supported value.
    """

    model_type = "hf_ssl_albert"

    vocab_size: int = 30000
    embedding_size: int = 128
    hidden_size: int = 4096
    num_hidden_layers: int = 12
    num_hidden_groups: int = 1
    num_attention_heads: int = 64
    intermediate_size: int = 16384
    inner_group_num: int = 1
    hidden_act: str = "gelu_new"
    hidden_dropout_prob: float = 0.0
    attention_probs_dropout_prob: float = 0.0
    classifier_dropout: float | None = 0.1
    bos_token_id: int | None = 2
    eos_token_id: int | None = 3

    def __post_init__(self, **kwargs: Any) -> None:
        if "classifier_dropout_prob" in kwargs:  # transformers' AlbertConfig name
            self.classifier_dropout = kwargs.pop("classifier_dropout_prob")
        require(
            isinstance(self.embedding_size, int) and self.embedding_size > 0,
            f"embedding_size={self.embedding_size!r}; expected a positive integer",
        )
        require(
            isinstance(self.num_hidden_groups, int) and 1 <= self.num_hidden_groups <= self.num_hidden_layers,
            f"num_hidden_groups={self.num_hidden_groups!r}; expected between 1 and "
            f"num_hidden_layers={self.num_hidden_layers}",
        )
        require(
            self.inner_group_num == 1,
            f"inner_group_num={self.inner_group_num}; only 1 is supported (as in every published ALBERT)",
        )
        super().__post_init__(**kwargs)
