"""ELECTRA configuration (Clark et al. 2020, "ELECTRA: Pre-training Text Encoders as Discriminators
Rather Than Generators").

The fields describe the discriminator (defaults: ELECTRA-Small, google-research/electra
util/training_utils.py:96-112 and configure_pretraining.py:118-119) plus the joint-pretraining
settings: the generator's size as a fraction of the discriminator (run_pretraining.py:338-348:
hidden = round(f·H), heads = max(1, hidden // 64), FFN = 4·hidden), the loss weights
(configure_pretraining.py: gen_weight 1, disc_weight 50) and the sampling temperature.
"""

from __future__ import annotations

from typing import Any

from ..bert.configuration_bert import BertConfig
from ..config_rules import require

HEAD_SIZE = 64  # the reference sizes generator heads as hidden // 64


class ElectraConfig(BertConfig):
    """BertConfig (the discriminator) + generator size and ELECTRA's loss weights.

    Args (beyond BertConfig):
        embedding_size: width E of the embedding tables shared by generator and discriminator.
        generator_size: generator hidden width as a fraction of hidden_size (the paper's 1/4 for
            Small and Base; 1.0 for the released ELECTRA-Small++). Must be in (0, 1].
        generator_layers: generator depth as a fraction of num_hidden_layers (reference: 1.0).
        mlm_weight, rtd_weight: loss = mlm_weight · generator MLM + rtd_weight · discriminator BCE.
        sampling_temperature: the generator's softmax temperature when sampling replacements.
    """

    model_type = "hf_ssl_electra"

    embedding_size: int = 128
    hidden_size: int = 256
    num_attention_heads: int = 4
    intermediate_size: int = 1024
    generator_size: float = 0.25
    generator_layers: float = 1.0
    mlm_weight: float = 1.0
    rtd_weight: float = 50.0
    sampling_temperature: float = 1.0

    def __post_init__(self, **kwargs: Any) -> None:
        require(
            isinstance(self.embedding_size, int) and self.embedding_size > 0,
            f"embedding_size={self.embedding_size!r}; expected a positive integer",
        )
        require(
            0.0 < self.generator_size <= 1.0,
            f"generator_size={self.generator_size}; expected a fraction in (0, 1]: the generator may not be "
            "wider than the discriminator",
        )
        require(
            0.0 < self.generator_layers <= 1.0,
            f"generator_layers={self.generator_layers}; expected a fraction in (0, 1]",
        )
        require(self.mlm_weight >= 0, f"mlm_weight={self.mlm_weight}; expected >= 0")
        require(self.rtd_weight >= 0, f"rtd_weight={self.rtd_weight}; expected >= 0")
        require(
            self.sampling_temperature > 0, f"sampling_temperature={self.sampling_temperature}; expected > 0"
        )
        super().__post_init__(**kwargs)

    def generator_config(self) -> ElectraConfig:
        """The generator's config: the same vocabulary and embeddings, a narrower (or shallower) encoder."""
        hidden = max(1, round(self.generator_size * self.hidden_size))
        values = {k: v for k, v in self.to_dict().items() if k in type(self).__dataclass_fields__}
        values.update(
            hidden_size=hidden,
            num_attention_heads=max(1, hidden // HEAD_SIZE),
            intermediate_size=4 * hidden,
            num_hidden_layers=max(1, round(self.generator_layers * self.num_hidden_layers)),
            generator_size=1.0,
            generator_layers=1.0,
        )
        return ElectraConfig(**values)
