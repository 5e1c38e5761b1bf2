"""Weight maps between transformers' GPT-2 / OpenAI GPT and hf_ssl's GPT.

Both keep projections as `Conv1D` with (in, out) weights; hf_ssl uses nn.Linear's (out, in), so every
projection matrix is transposed both ways. The fused c_attn is already our fused qkv_proj. GPT-2
normalises before each sub-block (ln_1 before attention, ln_2 before the MLP, ln_f at the end);
GPT-1 after (ln_1 after attention, ln_2 after the MLP): the same two norms, in different places.
"""

from __future__ import annotations

from typing import Any

import transformers
from transformers import PreTrainedConfig

from ...conversion import Conversion, Rule, WeightMap, config_free, register_conversion, rule
from . import modeling_gpt as ours
from .configuration_gpt import GPTConfig

WB = ("weight", "bias")
OURS = "decoder.layers.{i}."
THEIRS = "h.{i}."


def _transposed(ours_name: str, theirs_name: str) -> Rule:
    return rule(
        ours_name,
        theirs_name,
        merge=lambda tensors: tensors[0].t().contiguous(),
        split=lambda weight: [weight.t().contiguous()],
    )


def decoder_rules(kind: str) -> list[Rule]:
    """kind: "gpt2" (wte/wpe, ln_f) or "openai" (tokens_embed/positions_embed)."""
    words, positions = ("wte", "wpe") if kind == "gpt2" else ("tokens_embed", "positions_embed")
    rules = [
        rule("embeddings.word_embeddings.weight", f"{words}.weight"),
        rule("embeddings.position_embeddings.weight", f"{positions}.weight"),
    ]
    for ours_name, theirs_name in (
        ("self_attn.qkv_proj", "attn.c_attn"),
        ("self_attn.o_proj", "attn.c_proj"),
        ("ffn.up_proj", "mlp.c_fc"),
        ("ffn.down_proj", "mlp.c_proj"),
    ):
        rules.append(_transposed(OURS + f"{ours_name}.weight", THEIRS + f"{theirs_name}.weight"))
        rules.append(rule(OURS + f"{ours_name}.bias", THEIRS + f"{theirs_name}.bias"))
    rules += [rule(OURS + f"self_attn_norm.{p}", THEIRS + f"ln_1.{p}") for p in WB]
    rules += [rule(OURS + f"ffn_norm.{p}", THEIRS + f"ln_2.{p}") for p in WB]
    if kind == "gpt2":
        rules += [rule(f"decoder.final_norm.{p}", f"ln_f.{p}") for p in WB]
    return rules


def gpt_weight_map(kind: str, head: str) -> WeightMap:
    prefix = "" if head == "GPTModel" else "transformer."
    rules = [r.with_prefixes(prefix, prefix) for r in decoder_rules(kind)]
    if head == "GPTLMHeadModel":
        rules.append(rule("lm_head.weight"))
    # Causal-mask buffers of older checkpoints and OpenAI GPT's position-id buffer carry no weights.
    return WeightMap(rules, dropped_theirs=(r".*attn\.bias", r".*attn\.masked_bias", r".*position_ids"))


def _from_gpt2(config: PreTrainedConfig) -> GPTConfig:
    return GPTConfig(
        vocab_size=config.vocab_size,
        hidden_size=config.n_embd,
        num_hidden_layers=config.n_layer,
        num_attention_heads=config.n_head,
        intermediate_size=config.n_inner or 4 * config.n_embd,
        hidden_act=config.activation_function,
        max_position_embeddings=config.n_positions,
        norm_position="pre",
        hidden_dropout_prob=config.resid_pdrop,
        attention_probs_dropout_prob=config.attn_pdrop,
        embedding_dropout_prob=config.embd_pdrop,
        layer_norm_eps=config.layer_norm_epsilon,
        initializer_range=config.initializer_range,
        bos_token_id=_in_vocab(config.bos_token_id, config.vocab_size),
        eos_token_id=_in_vocab(config.eos_token_id, config.vocab_size),
        pad_token_id=_in_vocab(getattr(config, "pad_token_id", None), config.vocab_size),
    )


def _from_openai(config: PreTrainedConfig) -> GPTConfig:
    return GPTConfig(
        vocab_size=config.vocab_size,
        hidden_size=config.n_embd,
        num_hidden_layers=config.n_layer,
        num_attention_heads=config.n_head,
        intermediate_size=4 * config.n_embd,
        hidden_act=config.afn,
        max_position_embeddings=config.n_positions,
        norm_position="post",
        hidden_dropout_prob=config.resid_pdrop,
        attention_probs_dropout_prob=config.attn_pdrop,
        embedding_dropout_prob=config.embd_pdrop,
        layer_norm_eps=config.layer_norm_epsilon,
        initializer_range=config.initializer_range,
        bos_token_id=None,
        eos_token_id=None,
    )


def _in_vocab(token_id: Any, vocab_size: int) -> int | None:
    return token_id if isinstance(token_id, int) and 0 <= token_id < vocab_size else None


def _shared_to_theirs(config: GPTConfig) -> dict[str, Any]:
    return {
        "vocab_size": config.vocab_size,
        "n_embd": config.hidden_size,
        "n_layer": config.num_hidden_layers,
        "n_head": config.num_attention_heads,
        "n_positions": config.max_position_embeddings,
        "resid_pdrop": config.hidden_dropout_prob,
        "attn_pdrop": config.attention_probs_dropout_prob,
        "embd_pdrop": config.embedding_dropout_prob,
        "layer_norm_epsilon": config.layer_norm_eps,
        "initializer_range": config.initializer_range,
    }


def _require(config: GPTConfig, norm_position: str, twin: str) -> None:
    if config.norm_position != norm_position:
        raise ValueError(
            f"norm_position={config.norm_position!r} has no {twin} twin (it needs {norm_position!r})"
        )


def _to_gpt2(config: PreTrainedConfig) -> transformers.GPT2Config:
    _require(config, "pre", "GPT-2")  # type: ignore[arg-type]
    return transformers.GPT2Config(
        **_shared_to_theirs(config),  # type: ignore[arg-type]
        n_inner=config.intermediate_size,
        activation_function=config.hidden_act,
        bos_token_id=config.bos_token_id,
        eos_token_id=config.eos_token_id,
    )


def _to_openai(config: PreTrainedConfig) -> transformers.OpenAIGPTConfig:
    _require(config, "post", "OpenAI GPT")  # type: ignore[arg-type]
    if config.intermediate_size != 4 * config.hidden_size:
        raise ValueError(
            f"intermediate_size={config.intermediate_size}; OpenAI GPT fixes it at 4·hidden_size"
        )
    return transformers.OpenAIGPTConfig(**_shared_to_theirs(config), afn=config.hidden_act)  # type: ignore[arg-type]


def _register() -> None:
    for kind, prefix, to_ours, to_theirs in (
        ("gpt2", "GPT2", _from_gpt2, _to_gpt2),
        ("openai", "OpenAIGPT", _from_openai, _to_openai),
    ):
        for ours_name, suffix in (("GPTModel", "Model"), ("GPTLMHeadModel", "LMHeadModel")):
            register_conversion(
                Conversion(
                    ours=getattr(ours, ours_name),
                    theirs=getattr(transformers, prefix + suffix),
                    weight_map=config_free(gpt_weight_map, kind, ours_name),
                    config_to_ours=to_ours,
                    config_to_theirs=to_theirs,
                )
            )


_register()
