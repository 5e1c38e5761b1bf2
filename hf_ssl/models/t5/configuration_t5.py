"""T5 configuration (Raffel et al. 2020) and its Switch form (Fedus et al. 2021).

Field names and defaults follow transformers' T5Config (t5-small), so a transformers config maps
one to one:
  - T5 v1.0: `feed_forward_proj="relu"`, tied embeddings, decoder output rescaled by d_model^-0.5
    before the tied LM head (mesh_tensorflow transformer.py, "Rescale output before projecting").
  - T5 v1.1: `feed_forward_proj="gated-gelu"` (GEGLU, Shazeer 2020; transformers maps it to the tanh
    GELU "gelu_new"), `tie_word_embeddings=False` (own LM head, no rescale).
  - Switch: `num_experts > 0` turns every `encoder_sparse_step`-th feed-forward layer into a top-1
    mixture of experts (transformers' rule: layer i is sparse when i % step == 1, or every layer
    when step == 1; step 2 is the paper's "every other FFN layer"). 0 experts is dense T5.
"""

from __future__ import annotations

from typing import Any, ClassVar

from transformers import PreTrainedConfig
from transformers.activations import ACT2FN

from ...compat import CACHE_NAMES
from ..config_rules import refuse_misspelled_fields, require

GATED_PREFIX = "gated-"


def parse_feed_forward_proj(feed_forward_proj: str) -> tuple[str, bool]:
    """ "relu" -> ("relu", False); "gated-gelu" -> ("gelu_new", True), as transformers' T5Config does."""
    gated = feed_forward_proj.startswith(GATED_PREFIX)
    activation = feed_forward_proj[len(GATED_PREFIX) :] if gated else feed_forward_proj
    if feed_forward_proj == "gated-gelu":
        activation = "gelu_new"  # T5 v1.1 used the tanh approximation
    if activation not in ACT2FN or "-" in activation:
        raise ValueError(
            f"feed_forward_proj={feed_forward_proj!r}; expected an activation name or 'gated-' + one "
            f"(e.g. 'relu', 'gated-gelu'), activations from {sorted(ACT2FN)}"
        )
    return activation, gated


class T5Config(PreTrainedConfig):
    """Configuration of an hf_ssl T5 (or Switch) encoder-decoder.

    Args:
        vocab_size: 32,128 for the released checkpoints (32,000 SentencePiece + 100 sentinels, padded).
        d_model, d_kv, d_ff, num_heads: width, per-head size, FFN width, heads (d_kv · heads may
            differ from d_model, e.g. t5-3b).
        num_layers, num_decoder_layers: encoder and decoder depth (decoder defaults to the encoder's).
        relative_attention_num_buckets, relative_attention_max_distance: 32 and 128 (§2.1).
        dropout_rate: on embeddings, sub-block outputs, attention weights and the FFN's inner states.
        layer_norm_epsilon: RMSNorm epsilon.
        initializer_factor: scales every init std (transformers' testing knob; 1.0 normally).
        feed_forward_proj: "relu" (v1.0) or "gated-gelu" (v1.1); see `parse_feed_forward_proj`.
        tie_word_embeddings: v1.0 True (LM head = embeddings, outputs rescaled), v1.1 False.
        pad_token_id, eos_token_id, decoder_start_token_id: 0, 1, 0 (the decoder starts with pad).
        num_experts: 0 for dense T5; E > 0 for Switch.
        expert_capacity: tokens per expert per row; None computes it from capacity_factor.
        capacity_factor: Switch §2.2 (used when expert_capacity is None).
        encoder_sparse_step, decoder_sparse_step: which layers are sparse (see the module docstring).
        router_z_loss_coef: weight of the router z-loss (ST-MoE, Zoph et al. 2022: 1e-3).
        router_aux_loss_coef: weight α of the load-balancing loss (Switch §2.2: 1e-2; transformers'
            SwitchTransformersConfig defaults to 1e-3, which converted checkpoints keep).
        router_jitter_noise: multiplicative router-input noise in training (Switch §2.4).
        router_bias: a bias in the router (the released Switch checkpoints have none).
    """

    model_type = "hf_ssl_t5"
    keys_to_ignore_at_inference: ClassVar[list[str]] = list(CACHE_NAMES)
    attribute_map: ClassVar[dict[str, str]] = {
        "hidden_size": "d_model",
        "num_attention_heads": "num_heads",
        "num_hidden_layers": "num_layers",
        "head_dim": "d_kv",
    }

    vocab_size: int = 32128
    d_model: int = 512
    d_kv: int = 64
    d_ff: int = 2048
    num_layers: int = 6
    num_decoder_layers: int | None = None
    num_heads: int = 8
    relative_attention_num_buckets: int = 32
    relative_attention_max_distance: int = 128
    dropout_rate: float = 0.1
    layer_norm_epsilon: float = 1e-6
    initializer_factor: float = 1.0
    feed_forward_proj: str = "relu"
    tie_word_embeddings: bool = True
    is_encoder_decoder: bool = True
    use_cache: bool = True
    pad_token_id: int | None = 0
    eos_token_id: int | None = 1
    bos_token_id: int | None = None
    decoder_start_token_id: int | None = 0
    num_experts: int = 0
    expert_capacity: int | None = None
    capacity_factor: float = 1.25
    encoder_sparse_step: int = 2
    decoder_sparse_step: int = 2
    router_z_loss_coef: float = 0.001
    router_aux_loss_coef: float = 0.01
    router_jitter_noise: float = 0.01
    router_bias: bool = False

    def __post_init__(self, **kwargs: Any) -> None:
        refuse_misspelled_fields(self, kwargs)
        # The base applies aliases (hidden_size, num_hidden_layers, ...) first; defaults and checks follow.
        super().__post_init__(**kwargs)
        if self.num_decoder_layers is None:
            self.num_decoder_layers = self.num_layers
        self.validate()

    @property
    def dense_act_fn(self) -> str:
        return parse_feed_forward_proj(self.feed_forward_proj)[0]

    @property
    def is_gated_act(self) -> bool:
        return parse_feed_forward_proj(self.feed_forward_proj)[1]

    def get_text_config(self, decoder: bool | None = None, encoder: bool | None = None) -> PreTrainedConfig:
        """The decoder's view sizes generation's KV cache: it must count the decoder's layers.

        transformers renames only `decoder_*` keys, so `num_decoder_layers` would be lost and a
        decoder deeper than the encoder would overflow the cache (transformers' own T5 fails so).
        """
        config = super().get_text_config(decoder=decoder, encoder=encoder)
        if decoder and not encoder and config is not self:
            config.num_layers = self.num_decoder_layers
        return config

    def is_sparse_layer(self, index: int, *, decoder: bool) -> bool:
        """Whether layer `index` of the encoder (or decoder) has a mixture of experts."""
        step = self.decoder_sparse_step if decoder else self.encoder_sparse_step
        return self.num_experts > 0 and step > 0 and (step == 1 or index % step == 1)

    def validate(self) -> None:
        """Every size positive, probabilities in [0, 1), ids in the vocabulary, Switch fields consistent."""
        for name in (
            "vocab_size",
            "d_model",
            "d_kv",
            "d_ff",
            "num_layers",
            "num_decoder_layers",
            "num_heads",
        ):
            value = getattr(self, name)
            require(isinstance(value, int) and value > 0, f"{name}={value!r}; expected a positive integer")
        parse_feed_forward_proj(self.feed_forward_proj)
        require(
            self.relative_attention_num_buckets >= 4,
            f"relative_attention_num_buckets={self.relative_attention_num_buckets}; expected >= 4",
        )
        require(
            self.relative_attention_max_distance > self.relative_attention_num_buckets // 4,
            f"relative_attention_max_distance={self.relative_attention_max_distance}; expected more than "
            f"relative_attention_num_buckets // 4 = {self.relative_attention_num_buckets // 4}",
        )
        require(
            0.0 <= self.dropout_rate < 1.0,
            f"dropout_rate={self.dropout_rate}; expected a probability in [0, 1)",
        )
        require(self.layer_norm_epsilon > 0, f"layer_norm_epsilon={self.layer_norm_epsilon}; expected > 0")
        for name in ("pad_token_id", "eos_token_id", "bos_token_id", "decoder_start_token_id"):
            value = getattr(self, name)
            require(
                value is None or (isinstance(value, int) and 0 <= value < self.vocab_size),
                f"{name}={value!r}; expected None or an id in [0, vocab_size={self.vocab_size})",
            )
        require(
            isinstance(self.num_experts, int) and self.num_experts >= 0,
            f"num_experts={self.num_experts!r}; expected 0 (dense T5) or a positive integer (Switch)",
        )
        require(
            self.expert_capacity is None
            or (isinstance(self.expert_capacity, int) and self.expert_capacity > 0),
            f"expert_capacity={self.expert_capacity!r}; expected None or a positive integer",
        )
        require(self.capacity_factor > 0, f"capacity_factor={self.capacity_factor}; expected > 0")
        for name in ("encoder_sparse_step", "decoder_sparse_step"):
            value = getattr(self, name)
            require(isinstance(value, int) and value >= 0, f"{name}={value!r}; expected an integer >= 0")
        for name in ("router_z_loss_coef", "router_aux_loss_coef"):
            require(getattr(self, name) >= 0, f"{name}={getattr(self, name)}; expected >= 0")
        require(
            0.0 <= self.router_jitter_noise < 1.0,
            f"router_jitter_noise={self.router_jitter_noise}; expected a value in [0, 1)",
        )
