"""transformers' own `ModelTesterMixin` and `ConfigTester`, run against every attention family.

Each family's thin tester builds hf_ssl's tiny config (its FamilySpec's `tiny_configs`) and a batch
as transformers' testers do; the test classes themselves are transformers' (fetched at test time,
see sdist.py). Skips come from transformers' own decorators (GPU, flash-attention, multi-device)
or from a class attribute below that names the feature the paper's model does not have.
"""

from __future__ import annotations

import fnmatch
import unittest
from typing import Any

import torch
from transformers import AutoModelForTextEncoding, PreTrainedConfig

import hf_ssl
from hf_ssl.models.registry import FAMILIES
from tests.models.tiny import RECURRENT_FAMILIES, TINY_CONFIGS

from .sdist import common_tests

modeling_common, configuration_common = common_tests()

BATCH, LENGTH, CHOICES = 13, 7, 2  # transformers' testers' sizes: the sdpa tests need 7+ rows

# transformers' suite keeps testers at 2 layers (test_num_layers_is_small); ALBERT's tiny config has
# 3 over 2 groups to exercise uneven sharing, which tests/models/test_albert.py covers.
OVERRIDES: dict[str, dict[str, Any]] = {"albert": {"num_hidden_layers": 2}}

# {(family, test name pattern): why the test does not apply to the paper's model}
NOT_APPLICABLE: dict[tuple[str, str], str] = {
    **{
        (family, "test_model_base_model_prefix"): (
            "T5ForConditionalGeneration holds its encoder and decoder directly, under transformers' T5 "
            "weight names; transformers' T5 has no separate base model either"
        )
        for family in ("t5", "switch")
    },
    ("switch", "test_attention_outputs"): (
        "Switch's outputs add the router's statistics (load-balancing and z losses, router logits), "
        "which the test's fixed output count leaves out"
    ),
    ("switch", "test_eager_matches_sdpa_inference_*f16*"): (
        "Switch routes each token to one expert by argmax: in half precision, eager and sdpa round "
        "differently and may send a token to another expert"
    ),
    **{
        (family, "test_training_gradient_checkpointing_use_reentrant_true"): (
            "Switch refuses reentrant activation checkpointing (its router loss would not train)"
        )
        for family in ("switch", "switch_encoder")
    },
    ("electra", "test_model_outputs_equivalence"): (
        "ElectraForPreTraining samples the generator's replacements (ELECTRA §2): two calls with labels differ"
    ),
}

# {tiny config name: the fields its FamilySpec declares}, the keyword arguments ConfigTester checks.
TINY_FIELDS = {name: fields for spec in FAMILIES.values() for name, fields in spec.tiny_configs.items()}


class FamilyTester:
    """What transformers' common tests ask of a model tester, for one hf_ssl tiny config."""

    def __init__(self, parent: unittest.TestCase, family: str, encoder_only: bool = False) -> None:
        self.parent = parent
        self.family = family
        self.encoder_only = encoder_only
        self.batch_size = BATCH
        self.seq_length = self.encoder_seq_length = self.decoder_seq_length = LENGTH
        self.num_choices = CHOICES
        self.is_training = not encoder_only  # an encoder alone has no loss to train
        config = self.get_config()
        self.vocab_size = config.vocab_size
        self.hidden_size = config.hidden_size
        self.num_attention_heads = config.num_attention_heads
        self.num_hidden_layers = config.num_hidden_layers

    def get_config(self) -> PreTrainedConfig:
        template = TINY_CONFIGS[self.family]
        fields = {**template.to_dict(), **OVERRIDES.get(self.family, {})}
        if self.encoder_only:  # as transformers' encoder-only T5 tester builds it
            fields["is_encoder_decoder"] = False
        return type(template).from_dict(fields)

    def prepare_config_and_inputs_for_common(self) -> tuple[PreTrainedConfig, dict[str, Any]]:
        config = self.get_config()
        ids = modeling_common.ids_tensor([BATCH, LENGTH], config.vocab_size - 5) + 5  # no special ids
        mask = modeling_common.random_attention_mask([BATCH, LENGTH])
        inputs: dict[str, Any] = {"input_ids": ids, "attention_mask": mask}
        if getattr(config, "type_vocab_size", 0) > 1:
            inputs["token_type_ids"] = modeling_common.ids_tensor([BATCH, LENGTH], config.type_vocab_size)
        if config.is_encoder_decoder and not self.encoder_only:
            ids[:, -1] = config.eos_token_id  # BART's classifier reads the state at </s>
            decoder_ids = modeling_common.ids_tensor([BATCH, LENGTH], config.vocab_size - 5) + 5
            inputs["decoder_input_ids"] = decoder_ids
            inputs["decoder_attention_mask"] = torch.ones_like(decoder_ids)
        return config, inputs


def _not_applicable(reason: str) -> Any:
    def test(self: unittest.TestCase) -> None:
        self.skipTest(reason)

    return test


def _test_case(family: str, encoder_only: bool = False) -> type[unittest.TestCase]:
    """The common tests of a family's heads; for an encoder-decoder family, `encoder_only` selects its
    encoder head (T5EncoderModel), which transformers tests apart with encoder inputs."""
    config_class = type(TINY_CONFIGS[family])
    registered = hf_ssl.AUTO_CLASSES[config_class]
    heads = tuple(
        dict.fromkeys(
            head
            for auto_class, head in registered.items()
            if (auto_class is AutoModelForTextEncoding) == encoder_only
        )
    )
    generative = tuple(head for head in heads if head.can_generate())
    bases: tuple[type, ...] = (modeling_common.ModelTesterMixin,)
    if generative:
        bases += (modeling_common.GenerationTesterMixin,)

    def setUp(self: Any) -> None:
        self.model_tester = FamilyTester(self, family, encoder_only)
        fields = {key: value for key, value in TINY_FIELDS[family].items() if key != "num_labels"}
        self.config_tester = configuration_common.ConfigTester(self, config_class=config_class, **fields)

    def _prepare_for_class(self: Any, inputs: dict, model_class: type, return_labels: bool = False) -> dict:
        """transformers' labels, plus those of the pretraining heads (as its BERT tester adds them)."""
        inputs = modeling_common.ModelTesterMixin._prepare_for_class(self, inputs, model_class, return_labels)
        name = model_class.__name__
        if return_labels and "PreTraining" in name:
            inputs["labels"] = torch.zeros(BATCH, LENGTH, dtype=torch.long)
            pair_label = {
                "BertForPreTraining": "next_sentence_label",
                "AlbertForPreTraining": "sentence_order_label",
            }
            if name in pair_label:
                inputs[pair_label[name]] = torch.zeros(BATCH, dtype=torch.long)
        return inputs

    def test_config(self: Any) -> None:
        self.config_tester.run_common_tests()

    attributes = {
        "all_model_classes": heads,
        "all_generative_model_classes": generative,
        "is_encoder_decoder": TINY_CONFIGS[family].is_encoder_decoder and not encoder_only,
        "setUp": setUp,
        "_prepare_for_class": _prepare_for_class,
        "test_config": test_config,
    }
    key = f"{family}_encoder" if encoder_only else family
    for (skipped_family, pattern), reason in NOT_APPLICABLE.items():
        if skipped_family == key:
            for test_name in fnmatch.filter(dir(modeling_common.ModelTesterMixin), pattern):
                attributes[test_name] = _not_applicable(reason)
    name = f"Test{family.title().replace('_', '')}{'Encoder' if encoder_only else ''}Common"
    return type(name, (*bases, unittest.TestCase), attributes)


for _family, _config in TINY_CONFIGS.items():
    if _family in RECURRENT_FAMILIES:
        continue
    for _encoder_only in (
        (False, True) if AutoModelForTextEncoding in hf_ssl.AUTO_CLASSES[type(_config)] else (False,)
    ):
        _case = _test_case(_family, _encoder_only)
        globals()[_case.__name__] = _case
del _family, _config, _encoder_only, _case  # pytest would collect the last case twice
