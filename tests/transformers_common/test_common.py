"""transformers' own `ModelTesterMixin` and `ConfigTester`, run against every hf_ssl family.

Each family's thin tester builds hf_ssl's tiny config (its FamilySpec's `tiny_configs`) and a batch
as transformers' testers do; the test classes themselves are transformers' (fetched at test time,
see sdist.py). Skips come from transformers' own decorators (GPU, flash-attention, multi-device)
or from `NOT_APPLICABLE` below, which names the feature the paper's model does not have.

A family is tested in parts where transformers tests its twin in parts: T5's encoder alone, and
ELMo's pretraining head (its sequence gains <S> and </S>).
"""

from __future__ import annotations

import fnmatch
import unittest
from collections.abc import Callable
from typing import Any

import torch
from transformers import AutoModelForTextEncoding, PreTrainedConfig, PreTrainedModel

import hf_ssl
from hf_ssl.models.registry import FAMILIES
from tests.models import tiny

from .sdist import common_tests

modeling_common, configuration_common = common_tests()

BATCH, LENGTH, CHOICES = 13, 7, 2  # transformers' testers' sizes: the sdpa tests need 7+ rows

# transformers' suite keeps testers at 2 layers (test_num_layers_is_small); ALBERT's tiny config has
# 3 over 2 groups to exercise uneven sharing, which tests/models/test_albert.py covers.
OVERRIDES: dict[str, dict[str, Any]] = {"albert": {"num_hidden_layers": 2}}

# Families without attention read inputs of their own (ELMo characters, CBOW context windows):
# their batches come from tests/models/tiny.py, and their testers give these sizes.
# {family: (width of the hidden states, layers L: hidden_states has L + 1 entries)}
RECURRENT_SIZES: dict[str, Callable[[Any], tuple[int, int]]] = {
    "elmo": lambda config: (2 * config.projection_dim, config.n_layers),  # token layer + each biLSTM layer
    "taglm": lambda config: (2 * config.rnn_hidden_size, 1),  # the tagger's two BiRNN layers
    "cbow": lambda config: (config.embedding_size, 0),
}

_CHARACTERS = (
    "ELMo reads characters: its 262-row character table is bilm-tf's byte encoding, not a token "
    "vocabulary to swap or resize"
)
_NO_LAYERS = "CBOW has no layers: its representation is an average of word vectors"

# {(part, test name pattern): why the test does not apply to the paper's model}
NOT_APPLICABLE: dict[tuple[str, str], str] = {
    **{
        (part, "test_model_base_model_prefix"): (
            "T5ForConditionalGeneration holds its encoder and decoder directly, under transformers' T5 "
            "weight names; transformers' T5 has no separate base model either"
        )
        for part in ("t5", "switch")
    },
    ("switch", "test_attention_outputs"): (
        "Switch's outputs add the router's statistics (load-balancing and z losses, router logits), "
        "which the test's fixed output count leaves out"
    ),
    **{
        (part, "test_eager_matches_sdpa_inference_*f16*"): (
            "Switch routes each token to one expert by argmax: in half precision, eager and sdpa round "
            "differently and may send a token to another expert"
        )
        for part in ("switch", "switch_encoder")
    },
    **{
        (part, "test_training_gradient_checkpointing_use_reentrant_true"): (
            "Switch refuses reentrant activation checkpointing (its router loss would not train)"
        )
        for part in ("switch", "switch_encoder")
    },
    ("electra", "test_model_outputs_equivalence"): (
        "ElectraForPreTraining samples the generator's replacements (ELECTRA §2): two calls with labels differ"
    ),
    **{
        (part, pattern): _CHARACTERS
        for part in ("elmo", "elmo_pretraining")
        for pattern in ("test_model_get_set_embeddings", "test_resize_*embeddings*")
    },
    ("elmo", "test_load_with_mismatched_shapes"): (
        "ELMo's encoder reads characters: the vocabulary size shapes only its pretraining softmax, so "
        "the bare model fits any"
    ),
    **{
        (part, "test_retain_grad_hidden_states_attentions"): (
            "ELMo's layer 0 is its token representation written twice ([x; x], bilm-tf's layout for the "
            "scalar mix); the biLSTM reads x itself, so the doubled copy is off the path to the output"
        )
        for part in ("elmo", "elmo_pretraining")
    },
    **{
        (part, pattern): _NO_LAYERS
        for part in ("cbow",)
        for pattern in ("test_hidden_states_output", "test_retain_grad_*")
    },
}

# {tiny config name: the fields its FamilySpec declares}, the keyword arguments ConfigTester checks.
TINY_FIELDS = {name: fields for spec in FAMILIES.values() for name, fields in spec.tiny_configs.items()}


class FamilyTester:
    """What transformers' common tests ask of a model tester, for one hf_ssl tiny config."""

    def __init__(
        self, parent: unittest.TestCase, family: str, part: str, heads: tuple[type[PreTrainedModel], ...]
    ) -> None:
        self.parent = parent
        self.family = family
        self.encoder_only = part.endswith("_encoder")
        self.heads = heads
        self.recurrent = family in RECURRENT_SIZES
        self.batch_size = tiny.BATCH if self.recurrent else BATCH
        length = tiny.LENGTH if self.recurrent else LENGTH
        self.seq_length = self.encoder_seq_length = self.decoder_seq_length = length
        if part.endswith("_pretraining"):  # ELMo's language model reads <S> w_1 .. w_t </S>
            self.seq_length = self.encoder_seq_length = self.decoder_seq_length = length + 2
        self.num_choices = CHOICES
        self.is_training = not self.encoder_only  # an encoder alone has no loss to train
        config = self.get_config()
        self.vocab_size = config.vocab_size
        self.num_attention_heads = getattr(config, "num_attention_heads", None)
        if self.recurrent:
            self.hidden_size, self.num_hidden_layers = RECURRENT_SIZES[family](config)
        else:
            self.hidden_size, self.num_hidden_layers = config.hidden_size, config.num_hidden_layers

    def get_config(self) -> PreTrainedConfig:
        template = tiny.TINY_CONFIGS[self.family]
        fields = {**template.to_dict(), **OVERRIDES.get(self.family, {})}
        if self.encoder_only:  # as transformers' encoder-only T5 tester builds it
            fields["is_encoder_decoder"] = False
        return type(template).from_dict(fields)

    def prepare_config_and_inputs_for_common(self) -> tuple[PreTrainedConfig, dict[str, Any]]:
        config = self.get_config()
        if self.recurrent:
            return config, tiny.make_inputs(self.heads[0](config))
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


def _labels(model_class: type[PreTrainedModel], config: PreTrainedConfig, inputs: dict) -> dict:
    """The labels a head's loss needs, beyond those transformers' tables give (pretraining heads)."""
    name = model_class.__name__
    if model_class.config_class.model_type in ("hf_ssl_elmo", "hf_ssl_cbow", "hf_ssl_taglm"):
        labelled = tiny.make_inputs(model_class(config), labels=True)
        return {key: value for key, value in labelled.items() if key not in inputs}
    if "PreTraining" not in name:
        return {}
    batch, length = inputs["input_ids"].shape[:2]
    labels = {"labels": torch.zeros(batch, length, dtype=torch.long)}
    pair_label = {"BertForPreTraining": "next_sentence_label", "AlbertForPreTraining": "sentence_order_label"}
    if name in pair_label:
        labels[pair_label[name]] = torch.zeros(batch, dtype=torch.long)
    return labels


def _test_case(family: str, part: str, heads: tuple[type[PreTrainedModel], ...]) -> type[unittest.TestCase]:
    """The common tests of some of a family's heads (a part: all of them, or those transformers
    tests apart)."""
    config_class = type(tiny.TINY_CONFIGS[family])
    generative = tuple(head for head in heads if head.can_generate())
    bases: tuple[type, ...] = (modeling_common.ModelTesterMixin,)
    if generative:
        bases += (modeling_common.GenerationTesterMixin,)

    def setUp(self: Any) -> None:
        self.model_tester = FamilyTester(self, family, part, heads)
        # Label maps come back from JSON with string keys; ConfigTester compares them as given.
        labels = ("num_labels", "id2label", "label2id")
        fields = {key: value for key, value in TINY_FIELDS[family].items() if key not in labels}
        properties = [] if family in RECURRENT_SIZES else None  # None: width, depth and heads
        self.config_tester = configuration_common.ConfigTester(
            self, config_class=config_class, common_properties=properties, **fields
        )

    def _prepare_for_class(self: Any, inputs: dict, model_class: type, return_labels: bool = False) -> dict:
        """transformers' labels, plus those of the pretraining heads (as its BERT tester adds them)."""
        inputs = modeling_common.ModelTesterMixin._prepare_for_class(self, inputs, model_class, return_labels)
        if return_labels:
            inputs.update(_labels(model_class, self.model_tester.get_config(), inputs))
        return inputs

    def test_config(self: Any) -> None:
        self.config_tester.run_common_tests()

    attributes = {
        "all_model_classes": heads,
        "all_generative_model_classes": generative,
        "is_encoder_decoder": tiny.TINY_CONFIGS[family].is_encoder_decoder and not part.endswith("_encoder"),
        "has_attentions": family not in RECURRENT_SIZES,
        "setUp": setUp,
        "_prepare_for_class": _prepare_for_class,
        "test_config": test_config,
    }
    for (skipped_part, pattern), reason in NOT_APPLICABLE.items():
        if skipped_part == part:
            for test_name in fnmatch.filter(dir(modeling_common.ModelTesterMixin), pattern):
                attributes[test_name] = _not_applicable(reason)
    name = "Test" + "".join(word.title() for word in part.split("_")) + "Common"
    return type(name, (*bases, unittest.TestCase), attributes)


def _parts(family: str) -> dict[str, tuple[type[PreTrainedModel], ...]]:
    """{part: its heads}: T5's encoder and ELMo's pretraining head apart from the rest."""
    registered = hf_ssl.AUTO_CLASSES[type(tiny.TINY_CONFIGS[family])]
    apart = {
        f"{family}_encoder": [head for auto, head in registered.items() if auto is AutoModelForTextEncoding],
        f"{family}_pretraining": [
            head for head in registered.values() if family == "elmo" and "PreTraining" in head.__name__
        ],
    }
    kept_apart = {head for heads in apart.values() for head in heads}
    parts = {family: tuple(dict.fromkeys(head for head in registered.values() if head not in kept_apart))}
    parts.update({part: tuple(dict.fromkeys(heads)) for part, heads in apart.items() if heads})
    return parts


for _family in tiny.TINY_CONFIGS:
    for _part, _heads in _parts(_family).items():
        _case = _test_case(_family, _part, _heads)
        globals()[_case.__name__] = _case
del _family, _part, _heads, _case  # pytest would collect the last case twice
