"""The family registry against every consumer: each registered family appears wherever families are listed.

Consumers that derive their lists from `hf_ssl.models.registry.FAMILIES` (Auto classes, presets,
recipes, bench shapes, tiny test configs) are checked for the derived content; the card template
files are checked for coverage, and where a family is absent on purpose the test names it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from transformers import AutoConfig

import hf_ssl
from hf_ssl import bench, presets, recipes
from hf_ssl.hub.model_card import FAMILY_TASKS, available_templates, family_of
from hf_ssl.models.registry import FAMILIES, FamilySpec
from hf_ssl.recipes.builders import BUILDERS

from .tiny import TINY_CONFIGS

SPECS = list(FAMILIES.values())
TEMPLATE_DIR = Path(hf_ssl.__file__).parent / "model_cards"
# Families with no named sizes, no `hf-ssl pretrain` recipe and no transformers twin to bench against.
WITHOUT_PRESETS = {"elmo", "taglm", "cbow"}
NOT_PRETRAINABLE = {"elmo", "taglm", "cbow"}
WITHOUT_TWIN = {"mass", "prefix_lm", "elmo", "taglm", "cbow"}


def _ids(spec: FamilySpec) -> str:
    return spec.name


def test_the_registry_holds_every_family_of_the_zoo_under_its_model_type():
    assert list(FAMILIES) == [
        "bert", "roberta", "albert", "electra", "gpt", "bart", "mass", "t5", "prefix_lm", "elmo", "taglm", "cbow",
    ]  # fmt: skip
    for name, spec in FAMILIES.items():
        assert family_of(spec.config_class) == name


@pytest.mark.parametrize("spec", SPECS, ids=_ids)
def test_every_family_is_registered_with_the_auto_classes(spec):
    assert hf_ssl.AUTO_CLASSES[spec.config_class] == dict(spec.heads)
    assert isinstance(AutoConfig.for_model(spec.config_class.model_type), spec.config_class)
    for auto_class, model_class in spec.heads.items():
        assert auto_class._model_mapping[spec.config_class] is model_class


def test_auto_classes_hold_the_registered_families_and_nothing_else():
    assert set(hf_ssl.AUTO_CLASSES) == {spec.config_class for spec in SPECS}


@pytest.mark.parametrize("spec", SPECS, ids=_ids)
def test_every_family_has_a_card_template_and_a_hub_task(spec):
    assert (TEMPLATE_DIR / f"{spec.card_template}.md").is_file()
    assert spec.card_template in available_templates()
    assert FAMILY_TASKS[spec.name] == spec.hub_task


@pytest.mark.parametrize("spec", SPECS, ids=_ids)
def test_every_family_has_a_tiny_test_config(spec):
    assert spec.tiny_configs
    assert all(type(TINY_CONFIGS[name]) is spec.config_class for name in spec.tiny_configs)


def test_every_family_with_presets_has_at_least_one_and_every_preset_builds_its_family():
    families_of_presets = {}
    for name in presets.names():
        owners = [spec for spec in SPECS if name.split("-")[0] in spec.presets]
        assert len(owners) == 1, f"preset {name!r} belongs to {[s.name for s in owners]}"
        families_of_presets.setdefault(owners[0].name, []).append(name)
    assert set(families_of_presets) == {spec.name for spec in SPECS} - WITHOUT_PRESETS
    assert all(not FAMILIES[name].presets for name in WITHOUT_PRESETS)
    for family, names in families_of_presets.items():
        assert isinstance(presets.get_config(names[0]), FAMILIES[family].config_class)


def test_pretrainable_families_have_a_builder_and_a_tokenizer_under_their_cli_name():
    pretrainable = [spec for spec in SPECS if spec.pretraining is not None]
    assert {spec.name for spec in SPECS} - {spec.name for spec in pretrainable} == NOT_PRETRAINABLE
    assert tuple(spec.cli_name for spec in pretrainable) == recipes.PRETRAINABLE
    assert "prefix-lm" in recipes.PRETRAINABLE  # the command line spells it with a hyphen
    for spec in pretrainable:
        assert callable(BUILDERS[spec.cli_name])
        assert callable(recipes.TOKENIZERS[spec.cli_name])
    assert set(BUILDERS) == set(recipes.TOKENIZERS) == set(recipes.PRETRAINABLE)


def test_every_family_with_a_transformers_twin_has_a_bench_entry():
    benched = {spec.name for spec in SPECS if spec.bench}
    assert set(bench.MODELS) == {name for spec in SPECS for name in spec.bench}
    for spec in SPECS:
        for shape in spec.bench.values():
            assert shape.head in spec.heads.values() and shape.head.config_class is spec.config_class
    with_twin = {spec.name for spec in SPECS if spec.transformers_converter is not None}
    assert with_twin == {spec.name for spec in SPECS} - WITHOUT_TWIN
    assert benched == with_twin
