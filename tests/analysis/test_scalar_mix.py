"""hf_ssl.analysis.scalar_mix_weights reads every scalar mix of a model (ELMo and its task models)."""

from __future__ import annotations

import pytest
import torch

import hf_ssl
from hf_ssl.analysis import format_scalar_mix_weights, scalar_mix_weights
from hf_ssl.layers.scalar_mix import ScalarMix
from tests.models.tiny import TINY_CONFIGS as CONFIGS


def test_a_fresh_elmo_mixes_its_three_layers_equally():
    model = hf_ssl.ElmoModel(CONFIGS["elmo"])
    report = scalar_mix_weights(model)
    assert list(report) == ["scalar_mixes.0"]
    assert report["scalar_mixes.0"]["weights"] == pytest.approx([1 / 3] * 3)
    assert report["scalar_mixes.0"]["gamma"] == 1.0


def test_the_report_is_the_softmax_of_the_learnt_weights_inside_a_task_model():
    model = hf_ssl.ElmoForTokenClassification(CONFIGS["elmo"])
    (name, mix), *_ = [(n, m) for n, m in model.named_modules() if isinstance(m, ScalarMix)]
    with torch.no_grad():
        mix.weights.copy_(torch.tensor([0.0, 1.0, 2.0]))
        mix.gamma.fill_(0.5)
    entry = scalar_mix_weights(model)[name]
    assert entry["weights"] == pytest.approx(torch.softmax(torch.tensor([0.0, 1.0, 2.0]), 0).tolist())
    assert entry["gamma"] == 0.5
    table = format_scalar_mix_weights({name: entry}, ["char CNN", "LSTM 1", "LSTM 2"])
    assert "| char CNN | LSTM 1 | LSTM 2 | γ |" in table and "0.665" in table and "0.500" in table


def test_a_model_without_a_mix_is_named():
    with pytest.raises(ValueError, match="BertModel holds no ScalarMix"):
        scalar_mix_weights(hf_ssl.BertModel(CONFIGS["bert"]))
    with pytest.raises(TypeError, match=r"torch\.nn\.Module"):
        scalar_mix_weights("elmo")
