"""Named published sizes build the published parameter counts on the meta device (no memory used)."""

from __future__ import annotations

import pytest
import torch

import hf_ssl

# Released checkpoints and papers: GPT 117M; GPT-2 124M/355M/774M/1558M (OpenAI's released model
# names); Megatron-LM 8.3B; Turing-NLG 17B; GPT-3 175B.
GPT_SIZES = {
    "gpt": 117e6,
    "gpt2": 124e6,
    "gpt2-medium": 355e6,
    "gpt2-large": 774e6,
    "gpt2-xl": 1558e6,
    "megatron-lm": 8.3e9,
    "turing-nlg": 17e9,
    "gpt3-175b": 175e9,
}


@pytest.mark.parametrize("name", list(GPT_SIZES))
def test_gpt_presets_have_the_published_parameter_counts(name):
    with torch.device("meta"):
        model = hf_ssl.GPTLMHeadModel(hf_ssl.presets.get_config(name))
    count = sum(p.numel() for p in model.parameters())  # tied LM head counted once
    assert count == pytest.approx(GPT_SIZES[name], rel=0.02)


# BART: facebook/bart-base 139M and bart-large 406M (transformers' counts of the released weights);
# MASS-base 123M (reference-specs §0, from transformer_mass_base with BERT's 30,522 vocabulary).
SEQ2SEQ_SIZES = {"bart-base": 139.4e6, "bart-large": 406.3e6, "mass-base": 123.5e6}


@pytest.mark.parametrize("name", list(SEQ2SEQ_SIZES))
def test_seq2seq_presets_have_the_published_parameter_counts(name):
    model_class = (
        hf_ssl.MassForConditionalGeneration
        if name.startswith("mass")
        else hf_ssl.BartForConditionalGeneration
    )
    with torch.device("meta"):
        model = model_class(hf_ssl.presets.get_config(name))
    assert sum(p.numel() for p in model.parameters()) == pytest.approx(SEQ2SEQ_SIZES[name], rel=0.01)


def test_every_name_builds_its_family_config():
    for name in hf_ssl.presets.names():
        config = hf_ssl.presets.get_config(name)
        arguments = hf_ssl.presets.PRESETS[name]
        assert config.hidden_size == arguments.get("hidden_size", arguments.get("d_model"))
    assert isinstance(hf_ssl.presets.get_config("bert-base"), hf_ssl.BertConfig)
    assert hf_ssl.presets.get_config("gpt").norm_position == "post"
    assert hf_ssl.presets.get_config("gpt2", vocab_size=50304).vocab_size == 50304


def test_unknown_preset_names_the_choices():
    with pytest.raises(ValueError, match=r"unknown preset 'gpt4'.*gpt3-175b"):
        hf_ssl.presets.get_config("gpt4")
