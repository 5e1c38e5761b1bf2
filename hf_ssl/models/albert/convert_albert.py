"""Weight map between transformers' ALBERT and hf_ssl's ALBERT.

transformers keeps the E->H projection in the encoder (`embedding_hidden_mapping_in`), one module per
group under `albert_layer_groups.{g}.albert_layers.0`, a bare `pooler` Linear, the MLM head as
`predictions` with its output bias separate, and the SOP head as `sop_classifier.classifier`.
"""

from __future__ import annotations

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
from ..bert.convert_bert import BUFFERS
from . import modeling_albert as ours
from .configuration_albert import AlbertConfig

WB = ("weight", "bias")
_OURS = "encoder.layers.{i}."
_THEIRS = "encoder.albert_layer_groups.{i}.albert_layers.0."


def encoder_rules() -> list[Rule]:
    a = _THEIRS + "attention."
    return [
        rule("embeddings.word_embeddings.weight"),
        rule("embeddings.position_embeddings.weight"),
        rule("embeddings.token_type_embeddings.weight"),
        *[rule(f"embeddings.norm.{p}", f"embeddings.LayerNorm.{p}") for p in WB],
        *[rule(f"embeddings.projection.{p}", f"encoder.embedding_hidden_mapping_in.{p}") for p in WB],
        *[
            rule(_OURS + f"self_attn.qkv_proj.{p}", *(a + f"{n}.{p}" for n in ("query", "key", "value")))
            for p in WB
        ],
        *[rule(_OURS + f"self_attn.o_proj.{p}", a + f"dense.{p}") for p in WB],
        *[rule(_OURS + f"self_attn_norm.{p}", a + f"LayerNorm.{p}") for p in WB],
        *[rule(_OURS + f"ffn.up_proj.{p}", _THEIRS + f"ffn.{p}") for p in WB],
        *[rule(_OURS + f"ffn.down_proj.{p}", _THEIRS + f"ffn_output.{p}") for p in WB],
        *[rule(_OURS + f"ffn_norm.{p}", _THEIRS + f"full_layer_layer_norm.{p}") for p in WB],
        *[rule(f"pooler.dense.{p}", f"pooler.{p}") for p in WB],
    ]


def head_rules(head: str) -> list[Rule]:
    if head in ("AlbertForMaskedLM", "AlbertForPreTraining"):
        rules = [
            *[rule(f"lm_head.dense.{p}", f"predictions.dense.{p}") for p in WB],
            *[rule(f"lm_head.norm.{p}", f"predictions.LayerNorm.{p}") for p in WB],
            rule("lm_head.decoder.weight", "predictions.decoder.weight"),
            rule("lm_head.decoder.bias", "predictions.bias"),
        ]
        if head == "AlbertForPreTraining":
            rules += [rule(f"seq_relationship.{p}", f"sop_classifier.classifier.{p}") for p in WB]
        return rules
    if head in ("AlbertForSequenceClassification", "AlbertForMultipleChoice", "AlbertForTokenClassification"):
        return [rule(f"classifier.{p}") for p in WB]
    if head == "AlbertForQuestionAnswering":
        return [rule(f"span_head.qa_outputs.{p}", f"qa_outputs.{p}") for p in WB]
    return []


def albert_weight_map(head: str) -> WeightMap:
    prefix = "" if head == "AlbertModel" else "albert."
    rules = [r.with_prefixes(prefix, prefix) for r in encoder_rules()] + head_rules(head)
    return WeightMap(rules, dropped_theirs=(*BUFFERS, r"predictions\.decoder\.bias"))


def config_to_ours(config: PreTrainedConfig) -> AlbertConfig:
    return copy_config_fields(config, AlbertConfig, classifier_dropout=config.classifier_dropout_prob)


def config_to_theirs(config: PreTrainedConfig) -> transformers.AlbertConfig:
    dropout = (
        config.classifier_dropout if config.classifier_dropout is not None else config.hidden_dropout_prob
    )
    return copy_config_fields(config, transformers.AlbertConfig, classifier_dropout_prob=dropout)


for _name in (
    "AlbertModel",
    "AlbertForPreTraining",
    "AlbertForMaskedLM",
    "AlbertForSequenceClassification",
    "AlbertForMultipleChoice",
    "AlbertForTokenClassification",
    "AlbertForQuestionAnswering",
):
    register_conversion(
        Conversion(
            ours=getattr(ours, _name),
            theirs=getattr(transformers, _name),
            weight_map=config_free(albert_weight_map, _name),
            config_to_ours=config_to_ours,
            config_to_theirs=config_to_theirs,
        )
    )
