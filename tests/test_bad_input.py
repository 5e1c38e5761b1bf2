"""Bad input, tried systematically over every tiny family: a clear error naming the value, never an
IndexError from deep inside torch and never a silent wrong result."""

from __future__ import annotations

import pytest
import torch

import hf_ssl

from .models.tiny import TINY_CONFIGS, VOCAB, make_inputs, make_model

FAMILIES = list(TINY_CONFIGS)


# The head each family is probed with: its pretraining head where labels are plain `labels`.
PROBED_HEADS = {
    "electra": hf_ssl.ElectraForMaskedLM,  # the joint model samples; its parts are covered alone
    "elmo": hf_ssl.ElmoForTokenClassification,  # the biLM's labels are forward/backward_labels
    "taglm": hf_ssl.TagLMForTokenClassification,
}


def _pretraining_model(family: str):
    from transformers import AutoModelForPreTraining

    model_class = (
        PROBED_HEADS.get(family) or hf_ssl.AUTO_CLASSES[type(TINY_CONFIGS[family])][AutoModelForPreTraining]
    )
    return make_model(family, model_class).eval()


def _id_limit(family: str) -> int:
    """ELMo reads characters: its ids are bilm-tf's 262 character ids, not the word vocabulary."""
    return 262 if family == "elmo" else VOCAB


def _call(model, inputs):
    with torch.no_grad():
        return model(**inputs)


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("offset", [0, 7, None], ids=["limit", "beyond", "negative"])
def test_token_ids_outside_the_vocabulary_are_named(family, offset):
    model = _pretraining_model(family)
    limit = _id_limit(family)
    bad_id = -1 if offset is None else limit + offset
    inputs = make_inputs(model)
    inputs["input_ids"][0, 1] = bad_id
    expected = rf"input_ids contains {bad_id}; expected (character )?ids in \[0, (vocab_size=)?{limit}\)"
    with pytest.raises(ValueError, match=expected):
        _call(model, inputs)


# T5 has relative position buckets and no table: any length is valid.
POSITION_TABLE_FAMILIES = [f for f in FAMILIES if hasattr(TINY_CONFIGS[f], "max_position_embeddings")]


@pytest.mark.parametrize("family", POSITION_TABLE_FAMILIES)
def test_sequences_longer_than_the_position_table_are_named(family):
    model = _pretraining_model(family)
    too_long = torch.full((1, 80), 5)  # every tiny config has 64 positions (RoBERTa 66 = 64 + offset)
    with pytest.raises(ValueError, match=r"(length|sequence length) \d+ exceeds max_position_embeddings"):
        _call(model, {"input_ids": too_long})


@pytest.mark.parametrize("family", FAMILIES)
def test_an_empty_batch_is_named(family):
    model = _pretraining_model(family)
    empty = torch.zeros(0, 5, 50 if family == "elmo" else 0, dtype=torch.long).flatten(
        2 if family == "elmo" else 1
    )
    with pytest.raises(ValueError, match="empty"):
        _call(model, {"input_ids": empty})


@pytest.mark.parametrize("family", FAMILIES)
def test_an_attention_mask_of_another_shape_is_named(family):
    model = _pretraining_model(family)
    inputs = make_inputs(model)
    inputs["attention_mask"] = inputs["attention_mask"][:, :-1]
    with pytest.raises(ValueError, match=r"attention_mask has shape \(3, 9\); expected \(3, 10\)"):
        _call(model, inputs)


@pytest.mark.parametrize("family", FAMILIES)
def test_one_dimensional_input_ids_are_named(family):
    model = _pretraining_model(family)
    with pytest.raises(ValueError, match=r"input_ids has shape \(7,\); expected"):
        _call(model, {"input_ids": torch.arange(5, 12)})


@pytest.mark.parametrize("family", FAMILIES)
def test_labels_of_the_wrong_shape_are_named(family):
    model = _pretraining_model(family)
    inputs = make_inputs(model, labels=True)
    if model.config.is_encoder_decoder:  # targets may have any length: tie them to the decoder inputs
        inputs["decoder_input_ids"] = inputs["labels"].clamp(min=0)
    labels = inputs["labels"]
    inputs["labels"] = labels[:, :-2] if labels.dim() > 1 else labels[:-1]
    with pytest.raises(ValueError, match=r"labels.*(shape|\(2,\)).*; expected"):
        _call(model.train(), inputs)


CONFIG_CASES = [
    (
        "BertConfig",
        {"hidden_size": 30, "num_attention_heads": 4},
        "hidden_size=30 is not divisible by num_attention_heads=4",
    ),
    ("BertConfig", {"num_hidden_layers": 0}, "num_hidden_layers=0; expected a positive integer"),
    ("BertConfig", {"hidden_act": "nope"}, "hidden_act='nope'; expected one of"),
    (
        "BertConfig",
        {"pad_token_id": 999, "vocab_size": 100},
        r"pad_token_id=999; expected an id in \[0, vocab_size=100\)",
    ),
    (
        "RobertaConfig",
        {"hidden_dropout_prob": 1.2},
        r"hidden_dropout_prob=1.2; expected a probability in \[0, 1\)",
    ),
    ("AlbertConfig", {"num_hidden_groups": 5, "num_hidden_layers": 2}, "num_hidden_groups=5"),
    ("ElectraConfig", {"generator_size": 2.0}, "generator may not be wider than the discriminator"),
    ("GPTConfig", {"norm_position": "middle"}, r"norm_position='middle'; expected one of \('post', 'pre'\)"),
    ("BartConfig", {"d_model": 30}, "d_model=30 is not divisible by encoder_attention_heads=16"),
    ("MassConfig", {"decoder_layers": -1}, "decoder_layers=-1; expected a positive integer"),
    ("PrefixLMConfig", {"intermediate_size": 0}, "intermediate_size=0; expected a positive integer"),
]


@pytest.mark.parametrize(("config", "values", "message"), CONFIG_CASES, ids=lambda v: str(v)[:40])
def test_bad_config_values_are_named(config, values, message):
    with pytest.raises(ValueError, match=message):
        getattr(hf_ssl, config)(**values)


@pytest.mark.parametrize("family", [f for f in FAMILIES if f != "elmo"])
def test_input_embeddings_that_are_not_an_embedding_are_named(family):
    model = _pretraining_model(family)
    with pytest.raises(TypeError, match=r"must be an nn\.Embedding, got Linear"):
        model.set_input_embeddings(torch.nn.Linear(4, 4))


def test_a_classification_head_without_labels_is_named():
    config = type(TINY_CONFIGS["bert"]).from_dict(TINY_CONFIGS["bert"].to_dict())
    config.id2label = None
    with pytest.raises(ValueError, match=r"config\.num_labels is None"):
        hf_ssl.BertForSequenceClassification(config)


def test_bart_without_a_decoder_start_token_is_named_when_shifting():
    config = type(TINY_CONFIGS["bart"]).from_dict(TINY_CONFIGS["bart"].to_dict())
    config.decoder_start_token_id = None
    model = hf_ssl.BartForConditionalGeneration(config).eval()
    with pytest.raises(ValueError, match=r"needs config\.pad_token_id and config\.decoder_start_token_id"):
        model(input_ids=torch.tensor([[5, 6, 7]]))


def test_a_kv_cache_on_attention_built_without_layer_idx_is_named():
    from transformers import DynamicCache

    from hf_ssl.layers.attention import MultiHeadAttention

    attention = MultiHeadAttention(hidden_size=16, num_heads=2)
    with pytest.raises(ValueError, match="without layer_idx"):
        attention(torch.zeros(1, 3, 16), past_key_values=DynamicCache())
