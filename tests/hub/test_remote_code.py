"""Saved checkpoints carry a full auto_map: they load through remote code where hf_ssl is not imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import hf_ssl
from hf_ssl.hub import REMOTE_MODULE, auto_map_for


@pytest.mark.parametrize("config_class", list(hf_ssl.AUTO_CLASSES))
def test_auto_map_names_the_config_and_every_registered_head(config_class):
    auto_map = auto_map_for(config_class)
    heads = hf_ssl.AUTO_CLASSES[config_class]
    assert auto_map["AutoConfig"] == f"{REMOTE_MODULE}.{config_class.__name__}"
    assert {k for k in auto_map if k != "AutoConfig"} == {auto.__name__ for auto in heads}


def test_a_saved_checkpoint_loads_with_trust_remote_code_in_a_fresh_interpreter(tmp_path):
    config = hf_ssl.BertConfig(
        vocab_size=100, hidden_size=32, num_hidden_layers=1, num_attention_heads=4, intermediate_size=64
    )
    hf_ssl.BertForMaskedLM(config).save_pretrained(tmp_path / "model")
    saved = json.loads((tmp_path / "model" / "config.json").read_text())
    assert (
        saved["auto_map"]["AutoModelForSequenceClassification"]
        == f"{REMOTE_MODULE}.BertForSequenceClassification"
    )
    assert (tmp_path / "model" / f"{REMOTE_MODULE}.py").is_file()
    script = (
        "import sys\n"
        "from transformers import AutoModelForSequenceClassification\n"
        "assert 'hf_ssl' not in sys.modules\n"
        f"model = AutoModelForSequenceClassification.from_pretrained({str(tmp_path / 'model')!r}, "
        "trust_remote_code=True, num_labels=3)\n"
        "print(type(model).__module__ + '.' + type(model).__name__)\n"
    )
    env = {**os.environ, "HF_MODULES_CACHE": str(tmp_path / "modules"), "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().endswith("hf_ssl.models.bert.modeling_bert.BertForSequenceClassification")
