"""Weight maps between transformers' ELECTRA and hf_ssl's ELECTRA.

transformers' `ElectraForPreTraining` is the discriminator alone; its hf_ssl twin is
`ElectraForReplacedTokenDetection` (hf_ssl's `ElectraForPreTraining` is the joint
generator + discriminator, which transformers does not have). The E->H projection lives at model
level there (`embeddings_project`) and in the embeddings here; the encoder layers are BERT's.
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
from ..bert.convert_bert import BUFFERS, encoder_rules
from . import modeling_electra as ours
from .configuration_electra import ElectraConfig

WB = ("weight", "bias")

# hf_ssl class -> transformers class
TWINS = {
    "ElectraModel": "ElectraModel",
    "ElectraForMaskedLM": "ElectraForMaskedLM",
    "ElectraForReplacedTokenDetection": "ElectraForPreTraining",
    "ElectraForSequenceClassification": "ElectraForSequenceClassification",
    "ElectraForTokenClassification": "ElectraForTokenClassification",
    "ElectraForQuestionAnswering": "ElectraForQuestionAnswering",
}


def electra_encoder_rules() -> list[Rule]:
    base = [r for r in encoder_rules() if not r.ours.startswith("pooler.")]
    return [*base, *[rule(f"embeddings.projection.{p}", f"embeddings_project.{p}") for p in WB]]


def head_rules(head: str) -> list[Rule]:
    if head == "ElectraForMaskedLM":
        return [
            *[rule(f"lm_head.dense.{p}", f"generator_predictions.dense.{p}") for p in WB],
            *[rule(f"lm_head.norm.{p}", f"generator_predictions.LayerNorm.{p}") for p in WB],
            *[rule(f"lm_head.decoder.{p}", f"generator_lm_head.{p}") for p in WB],
        ]
    if head == "ElectraForReplacedTokenDetection":
        return [
            *[rule(f"rtd_head.dense.{p}", f"discriminator_predictions.dense.{p}") for p in WB],
            *[
                rule(f"rtd_head.prediction.{p}", f"discriminator_predictions.dense_prediction.{p}")
                for p in WB
            ],
        ]
    if head == "ElectraForSequenceClassification":
        return [rule(f"classifier.{part}.{p}") for part in ("dense", "out_proj") for p in WB]
    if head == "ElectraForTokenClassification":
        return [rule(f"classifier.{p}") for p in WB]
    if head == "ElectraForQuestionAnswering":
        return [rule(f"span_head.qa_outputs.{p}", f"qa_outputs.{p}") for p in WB]
    return []


def electra_weight_map(head: str) -> WeightMap:
    prefix = "" if head == "ElectraModel" else "electra."
    rules = [r.with_prefixes(prefix, prefix) for r in electra_encoder_rules()] + head_rules(head)
    return WeightMap(rules, dropped_theirs=BUFFERS)


def config_to_ours(config: PreTrainedConfig) -> ElectraConfig:
    return copy_config_fields(config, ElectraConfig)


def config_to_theirs(config: PreTrainedConfig) -> transformers.ElectraConfig:
    return copy_config_fields(config, transformers.ElectraConfig)


for _ours, _theirs in TWINS.items():
    register_conversion(
        Conversion(
            ours=getattr(ours, _ours),
            theirs=getattr(transformers, _theirs),
            weight_map=config_free(electra_weight_map, _ours),
            config_to_ours=config_to_ours,
            config_to_theirs=config_to_theirs,
        )
    )
