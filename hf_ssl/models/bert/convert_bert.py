"""Weight map between transformers' BERT checkpoints and hf_ssl's BERT, and the class registry.

transformers keeps query, key and value as three Linear layers; hf_ssl fuses them into one
(3H, H) projection, so those three tensors are concatenated on the way in and split on the way out.
Everything else is a rename. Buffers that old checkpoints carry (position_ids) are dropped on purpose.
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
from . import modeling_bert as ours
from .configuration_bert import BertConfig

_LAYER = "encoder.layers.{i}."
_THEIR_LAYER = "encoder.layer.{i}."


def encoder_rules(embedding_norm: str = "LayerNorm") -> list[Rule]:
    """Rules for the bare encoder (no prefix): embeddings, every layer, and the pooler."""
    t = _THEIR_LAYER
    return [
        rule("embeddings.word_embeddings.weight"),
        rule("embeddings.position_embeddings.weight"),
        rule("embeddings.token_type_embeddings.weight"),
        rule("embeddings.norm.weight", f"embeddings.{embedding_norm}.weight"),
        rule("embeddings.norm.bias", f"embeddings.{embedding_norm}.bias"),
        *[
            rule(
                _LAYER + f"self_attn.qkv_proj.{p}",
                *(t + f"attention.self.{n}.{p}" for n in ("query", "key", "value")),
            )
            for p in ("weight", "bias")
        ],
        *[
            rule(_LAYER + f"self_attn.o_proj.{p}", t + f"attention.output.dense.{p}")
            for p in ("weight", "bias")
        ],
        *[
            rule(_LAYER + f"self_attn_norm.{p}", t + f"attention.output.LayerNorm.{p}")
            for p in ("weight", "bias")
        ],
        *[rule(_LAYER + f"ffn.up_proj.{p}", t + f"intermediate.dense.{p}") for p in ("weight", "bias")],
        *[rule(_LAYER + f"ffn.down_proj.{p}", t + f"output.dense.{p}") for p in ("weight", "bias")],
        *[rule(_LAYER + f"ffn_norm.{p}", t + f"output.LayerNorm.{p}") for p in ("weight", "bias")],
        *[rule(f"pooler.dense.{p}") for p in ("weight", "bias")],
    ]


BUFFERS = (r".*embeddings\.position_ids", r".*embeddings\.token_type_ids")


def bert_head_rules(head: str) -> list[Rule]:
    """Rules for the parts of a head model outside the encoder, named by our head class."""
    wb = ("weight", "bias")
    if head in ("BertForMaskedLM", "BertForPreTraining"):
        rules = [
            *[rule(f"lm_head.dense.{p}", f"cls.predictions.transform.dense.{p}") for p in wb],
            *[rule(f"lm_head.norm.{p}", f"cls.predictions.transform.LayerNorm.{p}") for p in wb],
            rule("lm_head.decoder.weight", "cls.predictions.decoder.weight"),
            rule("lm_head.decoder.bias", "cls.predictions.bias"),
        ]
        if head == "BertForPreTraining":
            rules += [rule(f"seq_relationship.{p}", f"cls.seq_relationship.{p}") for p in wb]
        return rules
    if head == "BertForNextSentencePrediction":
        return [rule(f"seq_relationship.{p}", f"cls.seq_relationship.{p}") for p in wb]
    if head in ("BertForSequenceClassification", "BertForMultipleChoice", "BertForTokenClassification"):
        return [rule(f"classifier.{p}") for p in wb]
    if head == "BertForQuestionAnswering":
        return [rule(f"span_head.qa_outputs.{p}", f"qa_outputs.{p}") for p in wb]
    return []


def bert_weight_map(head: str, prefix: str = "bert.") -> WeightMap:
    """The full map for one of our classes; the bare model has no prefix on either side."""
    if head == "BertModel":
        prefix = ""
    rules = [r.with_prefixes(prefix, prefix) for r in encoder_rules()] + bert_head_rules(head)
    return WeightMap(rules, dropped_theirs=(*BUFFERS, r"cls\.predictions\.decoder\.bias"))


def config_to_ours(config: PreTrainedConfig) -> BertConfig:
    return copy_config_fields(config, BertConfig)


def config_to_theirs(config: PreTrainedConfig) -> transformers.BertConfig:
    return copy_config_fields(config, transformers.BertConfig)


for _name in (
    "BertModel",
    "BertForPreTraining",
    "BertForMaskedLM",
    "BertForNextSentencePrediction",
    "BertForSequenceClassification",
    "BertForMultipleChoice",
    "BertForTokenClassification",
    "BertForQuestionAnswering",
):
    register_conversion(
        Conversion(
            ours=getattr(ours, _name),
            theirs=getattr(transformers, _name),
            weight_map=config_free(bert_weight_map, _name),
            config_to_ours=config_to_ours,
            config_to_theirs=config_to_theirs,
        )
    )
