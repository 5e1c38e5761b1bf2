"""Weight maps between transformers' T5 / SwitchTransformers and hf_ssl's T5.

transformers nests each layer as `block.{i}.layer.{k}` (k = 0 self-attention, 1 cross-attention in
the decoder, then the FFN) with separate q/k/v; hf_ssl fuses q/k/v (self-attention) and k/v
(cross-attention) and keeps the one relative-bias table on the stack instead of on layer 0.
transformers' stacks re-register the shared embeddings as `embed_tokens` (tied copies: dropped).
Switch's FFN is `mlp` (dense) or `mlp.router` + `mlp.experts.expert_{j}` (sparse).

transformers 5.23's T5 always ties its LM head to the embeddings (T5Config forces
tie_word_embeddings=True and keeps the v1.1 flag as `scale_decoder_outputs`); a v1.1 checkpoint's
own head is untied only by `from_pretrained`. Hence an untied hf_ssl T5 converts from transformers
but not back.
"""

from __future__ import annotations

import functools
from typing import Any

import transformers
from transformers import PreTrainedConfig

from ...conversion import Conversion, Rule, WeightMap, register_conversion, rule
from . import modeling_t5 as ours
from .configuration_t5 import T5Config

ATTENTION = ("q", "k", "v")


def _ffn_rules(ours_ffn: str, theirs_ffn: str, gated: bool) -> list[Rule]:
    up = [
        rule(
            f"{ours_ffn}.up_proj.weight", f"{theirs_ffn}.wi_1.weight" if gated else f"{theirs_ffn}.wi.weight"
        )
    ]
    gate = [rule(f"{ours_ffn}.gate_proj.weight", f"{theirs_ffn}.wi_0.weight")] if gated else []
    return [*up, *gate, rule(f"{ours_ffn}.down_proj.weight", f"{theirs_ffn}.wo.weight")]


def stack_rules(config: T5Config, *, decoder: bool, switch: bool) -> list[Rule]:
    """One stack (encoder or decoder), without its `encoder.` / `decoder.` prefix."""
    layer, block = "stack.layers.{i}.", "block.{i}.layer."
    ffn_index = 2 if decoder else 1
    rules = [
        rule(
            "relative_position_bias.embedding.weight",
            "block.0.layer.0.SelfAttention.relative_attention_bias.weight",
        ),
        rule(
            layer + "self_attn.qkv_proj.weight", *(block + f"0.SelfAttention.{p}.weight" for p in ATTENTION)
        ),
        rule(layer + "self_attn.o_proj.weight", block + "0.SelfAttention.o.weight"),
        rule(layer + "self_attn_norm.weight", block + "0.layer_norm.weight"),
        rule(layer + "ffn_norm.weight", block + f"{ffn_index}.layer_norm.weight"),
        rule("stack.final_norm.weight", "final_layer_norm.weight"),
    ]
    if decoder:
        rules += [
            rule(layer + "cross_attn.q_proj.weight", block + "1.EncDecAttention.q.weight"),
            rule(
                layer + "cross_attn.kv_proj.weight", *(block + f"1.EncDecAttention.{p}.weight" for p in "kv")
            ),
            rule(layer + "cross_attn.o_proj.weight", block + "1.EncDecAttention.o.weight"),
            rule(layer + "cross_attn_norm.weight", block + "1.layer_norm.weight"),
        ]
    ffn = block + f"{ffn_index}."
    if not switch:
        return rules + _ffn_rules(layer + "ffn", ffn + "DenseReluDense", config.is_gated_act)
    rules += _ffn_rules(layer + "ffn", ffn + "mlp", gated=False)  # the dense layers
    rules.append(rule(layer + "ffn.router.classifier.weight", ffn + "mlp.router.classifier.weight"))
    for j in range(config.num_experts):
        rules += _ffn_rules(layer + f"ffn.experts.{j}", ffn + f"mlp.experts.expert_{j}", gated=False)
    return rules


def t5_weight_map(config: T5Config, head: str, *, switch: bool) -> WeightMap:
    stacks = ("encoder",) if head == "T5EncoderModel" else ("encoder", "decoder")
    rules = [rule("shared.weight")]
    for name in stacks:
        rules += [
            r.with_prefixes(f"{name}.", f"{name}.")
            for r in stack_rules(config, decoder=name == "decoder", switch=switch)
        ]
    if head == "T5ForConditionalGeneration":
        rules.append(rule("lm_head.weight"))
    # Tied copies of the embeddings, and a cross-attention bias table old checkpoints carry unused.
    dropped = (
        r"(en|de)coder\.embed_tokens\.weight",
        r"decoder\.block\.0\.layer\.1\.EncDecAttention\.relative_attention_bias\.weight",
    )
    return WeightMap(rules, dropped_theirs=dropped)


def _shared_from_theirs(config: PreTrainedConfig) -> dict[str, Any]:
    eos = config.eos_token_id
    return {
        "vocab_size": config.vocab_size,
        "d_model": config.d_model,
        "d_kv": config.d_kv,
        "d_ff": config.d_ff,
        "num_layers": config.num_layers,
        "num_decoder_layers": config.num_decoder_layers,
        "num_heads": config.num_heads,
        "relative_attention_num_buckets": config.relative_attention_num_buckets,
        "relative_attention_max_distance": config.relative_attention_max_distance,
        "dropout_rate": float(config.dropout_rate),
        "layer_norm_epsilon": config.layer_norm_epsilon,
        "initializer_factor": config.initializer_factor,
        "pad_token_id": config.pad_token_id,
        "eos_token_id": eos[0] if isinstance(eos, list) else eos,
        "decoder_start_token_id": getattr(config, "decoder_start_token_id", None) or config.pad_token_id,
    }


def _shared_to_theirs(config: Any) -> dict[str, Any]:
    names = [
        "vocab_size",
        "d_model",
        "d_kv",
        "d_ff",
        "num_layers",
        "num_decoder_layers",
        "num_heads",
        "relative_attention_num_buckets",
        "relative_attention_max_distance",
        "dropout_rate",
        "layer_norm_epsilon",
        "initializer_factor",
        "pad_token_id",
        "eos_token_id",
    ]
    # Not a declared field of transformers' configs in 5.23, but their _shift_right reads it.
    return {name: getattr(config, name) for name in names} | {
        "decoder_start_token_id": config.decoder_start_token_id
    }


def _from_t5(config: PreTrainedConfig) -> T5Config:
    return T5Config(
        **_shared_from_theirs(config),
        feed_forward_proj=config.feed_forward_proj,
        # 5.23 keeps "the head is the embedding matrix, rescaled" (v1.0) as scale_decoder_outputs.
        tie_word_embeddings=getattr(config, "scale_decoder_outputs", config.tie_word_embeddings),
    )


def _to_t5(config: PreTrainedConfig) -> transformers.T5Config:
    if config.num_experts:
        raise ValueError(f"num_experts={config.num_experts}: a Switch model has no T5 twin")
    if not config.tie_word_embeddings:
        raise ValueError(
            "tie_word_embeddings=False (T5 v1.1): transformers' T5 ties its LM head to the embeddings "
            "whatever the config says, so an own head cannot be carried over; save and load instead"
        )
    return transformers.T5Config(**_shared_to_theirs(config), feed_forward_proj=config.feed_forward_proj)


def _from_switch(config: PreTrainedConfig) -> T5Config:
    if config.router_dtype != "float32":
        raise ValueError(f"router_dtype={config.router_dtype!r}; hf_ssl routes in float32 (Switch §2.4)")
    return T5Config(
        **_shared_from_theirs(config),
        feed_forward_proj=config.dense_act_fn,
        tie_word_embeddings=config.tie_word_embeddings,
        num_experts=config.num_experts,
        expert_capacity=config.expert_capacity,
        encoder_sparse_step=config.encoder_sparse_step,
        decoder_sparse_step=config.decoder_sparse_step,
        router_z_loss_coef=config.router_z_loss_coef,
        router_aux_loss_coef=config.router_aux_loss_coef,
        router_jitter_noise=config.router_jitter_noise,
        router_bias=config.router_bias,
    )


def _to_switch(config: PreTrainedConfig) -> transformers.SwitchTransformersConfig:
    if not config.num_experts:
        raise ValueError("num_experts=0: a dense T5 has no SwitchTransformers twin")
    if config.is_gated_act or config.expert_capacity is None:
        raise ValueError(
            f"feed_forward_proj={config.feed_forward_proj!r}, expert_capacity={config.expert_capacity}: "
            "SwitchTransformers needs an ungated FFN and a fixed expert_capacity"
        )
    counts = {}
    for side, layers in (("encoder", config.num_layers), ("decoder", config.num_decoder_layers)):
        count = sum(config.is_sparse_layer(i, decoder=side == "decoder") for i in range(layers))
        step = getattr(config, f"{side}_sparse_step")
        # transformers stores the count and recomputes the step as layers // count.
        if count == 0 or layers // count != step:
            raise ValueError(
                f"{side}_sparse_step={step} over {layers} layers has no SwitchTransformers equivalent"
            )
        counts[f"num_sparse_{side}_layers"] = count
    return transformers.SwitchTransformersConfig(
        **_shared_to_theirs(config),
        **counts,
        dense_act_fn=config.dense_act_fn,
        tie_word_embeddings=config.tie_word_embeddings,
        num_experts=config.num_experts,
        expert_capacity=config.expert_capacity,
        router_z_loss_coef=config.router_z_loss_coef,
        router_aux_loss_coef=config.router_aux_loss_coef,
        router_jitter_noise=config.router_jitter_noise,
        router_bias=config.router_bias,
    )


def _register() -> None:
    for prefix, switch, to_ours, to_theirs in (
        ("T5", False, _from_t5, _to_t5),
        ("SwitchTransformers", True, _from_switch, _to_switch),
    ):
        for ours_name, suffix in (
            ("T5Model", "Model"),
            ("T5ForConditionalGeneration", "ForConditionalGeneration"),
            ("T5EncoderModel", "EncoderModel"),
        ):
            register_conversion(
                Conversion(
                    ours=getattr(ours, ours_name),
                    theirs=getattr(transformers, prefix + suffix),
                    weight_map=functools.partial(t5_weight_map, head=ours_name, switch=switch),
                    config_to_ours=to_ours,
                    config_to_theirs=to_theirs,
                )
            )


_register()
