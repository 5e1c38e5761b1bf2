"""Every Auto model class × every family: an hf_ssl checkpoint loads as hf_ssl's own class or raises
transformers' "Unrecognized configuration class" error naming what the family offers, never as
transformers' class of the same config name with freshly initialised weights."""

from __future__ import annotations

import pytest
from transformers.models.auto import modeling_auto

import hf_ssl
from hf_ssl.models.registry import FAMILIES

from .tiny import TINY_CONFIGS

AUTO_MODEL_CLASSES = sorted(
    (value for name, value in vars(modeling_auto).items() if name.startswith("AutoModel")),
    key=lambda auto: auto.__name__,
)
AUTO_MODEL_CLASSES = [auto for auto in AUTO_MODEL_CLASSES if hasattr(auto, "_model_mapping")]
ONE_CONFIG_PER_FAMILY = {spec.name: TINY_CONFIGS[next(iter(spec.tiny_configs))] for spec in FAMILIES.values()}


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    """One saved tiny checkpoint per family: its pretraining model where it has one (ELECTRA's joint
    checkpoint), else its first registered class; the Auto class decides the head that loads it."""
    directories = {}
    for family, config in ONE_CONFIG_PER_FAMILY.items():
        directory = tmp_path_factory.mktemp(family)
        heads = hf_ssl.AUTO_CLASSES[type(config)]
        model_class = heads.get(modeling_auto.AutoModelForPreTraining) or next(iter(heads.values()))
        model_class(config).save_pretrained(directory)
        directories[family] = directory
    return directories


@pytest.mark.parametrize("family", list(ONE_CONFIG_PER_FAMILY))
def test_every_auto_class_loads_hf_ssls_head_or_refuses_by_name(family, checkpoints):
    heads = hf_ssl.AUTO_CLASSES[type(ONE_CONFIG_PER_FAMILY[family])]
    for auto_class in AUTO_MODEL_CLASSES:
        if auto_class in heads:
            loaded = auto_class.from_pretrained(checkpoints[family])
            assert type(loaded) is heads[auto_class], auto_class.__name__
            continue
        with pytest.raises(ValueError, match="Unrecognized configuration class") as refused:
            auto_class.from_pretrained(checkpoints[family])
        assert f"{auto_class.__name__}. hf_ssl's hf_ssl_{family} offers: " in str(refused.value)
        with pytest.raises(ValueError, match="Unrecognized configuration class"):
            auto_class.from_config(ONE_CONFIG_PER_FAMILY[family])
