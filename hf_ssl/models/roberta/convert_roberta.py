"""Weight map between transformers' RoBERTa and hf_ssl's RoBERTa.

transformers' RoBERTa keeps a token-type table (one row in the released checkpoints) although
RoBERTa has no segments; every token adds row 0. hf_ssl has no segment table, so row 0 is folded
into the position table on the way in (exact: both are added to every token) and the way out writes
zero type rows. Rows other than 0 are only reached with token_type_ids != 0, which RoBERTa never
uses, so they are dropped.
"""

from __future__ import annotations

import torch
import transformers
from transformers import PreTrainedConfig

from ...conversion import (
    Conversion,
    Rule,
    WeightMap,
    config_free,
    copy_config_fields,
    register_conversion,
    rule,
)
from ..bert.convert_bert import BUFFERS, encoder_rules
from . import modeling_roberta as ours
from .configuration_roberta import RobertaConfig

WB = ("weight", "bias")


def _position_rule(type_vocab_size: int) -> Rule:
    def fold(tensors: list[torch.Tensor]) -> torch.Tensor:
        positions, types = tensors
        return positions + types[0]

    def unfold(positions: torch.Tensor) -> list[torch.Tensor]:
        return [positions, positions.new_zeros(type_vocab_size, positions.shape[1])]

    return rule(
        "embeddings.position_embeddings.weight",
        "embeddings.position_embeddings.weight",
        "embeddings.token_type_embeddings.weight",
        merge=fold,
        split=unfold,
    )


def roberta_head_rules(head: str) -> list[Rule]:
    if head == "RobertaForMaskedLM":
        return [
            *[rule(f"lm_head.dense.{p}") for p in WB],
            *[rule(f"lm_head.norm.{p}", f"lm_head.layer_norm.{p}") for p in WB],
            rule("lm_head.decoder.weight"),
            rule("lm_head.decoder.bias", "lm_head.bias"),
        ]
    if head == "RobertaForSequenceClassification":
        return [rule(f"classifier.{part}.{p}") for part in ("dense", "out_proj") for p in WB]
    if head in ("RobertaForMultipleChoice", "RobertaForTokenClassification"):
        return [rule(f"classifier.{p}") for p in WB]
    if head == "RobertaForQuestionAnswering":
        return [rule(f"span_head.qa_outputs.{p}", f"qa_outputs.{p}") for p in WB]
    return []


def roberta_weight_map(head: str, type_vocab_size: int) -> WeightMap:
    prefix = "" if head == "RobertaModel" else "roberta."
    base = [r for r in encoder_rules() if not r.ours.startswith("embeddings.position")]
    base = [r for r in base if not r.ours.startswith("embeddings.token_type")] + [
        _position_rule(type_vocab_size)
    ]
    rules = [r.with_prefixes(prefix, prefix) for r in base] + roberta_head_rules(head)
    return WeightMap(rules, dropped_theirs=(*BUFFERS, r"lm_head\.decoder\.bias"))


def config_to_ours(config: PreTrainedConfig) -> RobertaConfig:
    return copy_config_fields(config, RobertaConfig, type_vocab_size=0)


def config_to_theirs(config: PreTrainedConfig) -> transformers.RobertaConfig:
    return copy_config_fields(config, transformers.RobertaConfig, type_vocab_size=1)


for _name in (
    "RobertaModel",
    "RobertaForMaskedLM",
    "RobertaForSequenceClassification",
    "RobertaForMultipleChoice",
    "RobertaForTokenClassification",
    "RobertaForQuestionAnswering",
):
    register_conversion(
        Conversion(
            ours=getattr(ours, _name),
            theirs=getattr(transformers, _name),
            # Only their type table's row 0 matters; the way out always writes one zero row.
            weight_map=config_free(roberta_weight_map, _name, 1),
            config_to_ours=config_to_ours,
            config_to_theirs=config_to_theirs,
        )
    )
