"""Weight map between transformers' BART checkpoints and hf_ssl's BART, and the class registry.

transformers keeps query, key and value as three Linear layers; hf_ssl fuses self-attention's three
into one (3D, D) projection and cross-attention's key and value into one (2D, D), so those tensors
are concatenated on the way in and split on the way out. Its position tables carry two leading rows
for fairseq's padding offset that are never read (positions are arange + 2): they are dropped on the
way in and restored as zeros on the way out.
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
from . import modeling_bart as ours
from .configuration_bart import BartConfig

WB = ("weight", "bias")
POSITION_OFFSET = 2  # transformers' BartLearnedPositionalEmbedding.offset


def _positions(ours_name: str, theirs_name: str) -> Rule:
    return rule(
        ours_name,
        theirs_name,
        merge=lambda tensors: tensors[0][POSITION_OFFSET:].clone(),
        split=lambda table: [torch.cat([table.new_zeros(POSITION_OFFSET, table.shape[1]), table])],
    )


def _attention(ours_prefix: str, theirs_prefix: str, cross: bool) -> list[Rule]:
    fused = (
        (("q_proj", ("q_proj",)), ("kv_proj", ("k_proj", "v_proj")))
        if cross
        else (("qkv_proj", ("q_proj", "k_proj", "v_proj")),)
    )
    rules = [
        rule(f"{ours_prefix}.{name}.{p}", *(f"{theirs_prefix}.{t}.{p}" for t in parts))
        for name, parts in fused
        for p in WB
    ]
    return rules + [rule(f"{ours_prefix}.o_proj.{p}", f"{theirs_prefix}.out_proj.{p}") for p in WB]


def side_rules(side: str) -> list[Rule]:
    """Rules for one side ("encoder" or "decoder") of the bare model, without prefix."""
    ours_layer, theirs_layer = f"{side}.{side}.layers.{{i}}.", f"{side}.layers.{{i}}."
    rules = [
        rule(f"{side}.embeddings.word_embeddings.weight", f"{side}.embed_tokens.weight"),
        _positions(f"{side}.embeddings.position_embeddings.weight", f"{side}.embed_positions.weight"),
        *[rule(f"{side}.embeddings.norm.{p}", f"{side}.layernorm_embedding.{p}") for p in WB],
        *_attention(ours_layer + "self_attn", theirs_layer + "self_attn", cross=False),
        *[rule(ours_layer + f"self_attn_norm.{p}", theirs_layer + f"self_attn_layer_norm.{p}") for p in WB],
        *[rule(ours_layer + f"ffn.up_proj.{p}", theirs_layer + f"fc1.{p}") for p in WB],
        *[rule(ours_layer + f"ffn.down_proj.{p}", theirs_layer + f"fc2.{p}") for p in WB],
        *[rule(ours_layer + f"ffn_norm.{p}", theirs_layer + f"final_layer_norm.{p}") for p in WB],
    ]
    if side == "decoder":
        rules += _attention(ours_layer + "cross_attn", theirs_layer + "encoder_attn", cross=True)
        rules += [
            rule(ours_layer + f"cross_attn_norm.{p}", theirs_layer + f"encoder_attn_layer_norm.{p}")
            for p in WB
        ]
    return rules


def bart_weight_map(head: str) -> WeightMap:
    base = [rule("shared.weight"), *side_rules("encoder"), *side_rules("decoder")]
    if head == "BartModel":
        return WeightMap(base)
    rules = [r.with_prefixes("model.", "model.") for r in base]
    if head == "BartForConditionalGeneration":
        rules += [rule("lm_head.weight"), rule("final_logits_bias")]
    elif head == "BartForSequenceClassification":
        rules += [rule(f"classification_head.{n}.{p}") for n in ("dense", "out_proj") for p in WB]
    elif head == "BartForQuestionAnswering":
        rules += [rule(f"qa_head.qa_outputs.{p}", f"qa_outputs.{p}") for p in WB]
    return WeightMap(rules)


def _to_ours(config: PreTrainedConfig) -> BartConfig:
    return copy_config_fields(config, BartConfig, layer_norm_eps=1e-5)


def _to_theirs(config: PreTrainedConfig) -> transformers.BartConfig:
    if config.layer_norm_eps != 1e-5:
        raise ValueError(f"layer_norm_eps={config.layer_norm_eps}; transformers' BART fixes it at 1e-5")
    return copy_config_fields(config, transformers.BartConfig)


def _register() -> None:
    for head in ("Model", "ForConditionalGeneration", "ForSequenceClassification", "ForQuestionAnswering"):
        register_conversion(
            Conversion(
                ours=getattr(ours, f"Bart{head}"),
                theirs=getattr(transformers, f"Bart{head}"),
                weight_map=config_free(bart_weight_map, f"Bart{head}"),
                config_to_ours=_to_ours,
                config_to_theirs=_to_theirs,
            )
        )


_register()
