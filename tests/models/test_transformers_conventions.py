"""Conventions transformers' own model tests hold every model to (tests/transformers_common runs them
whole when transformers' source distribution can be fetched); these run everywhere."""

from __future__ import annotations

import tempfile

import pytest
import torch
from safetensors.torch import save_file
from transformers.models.auto import modeling_auto

import hf_ssl
from hf_ssl.saving import CheckpointError
from tests.models.tiny import TINY_CONFIGS, make_model


def test_task_tables_name_each_head_under_its_model_type():
    tables = modeling_auto
    assert tables.MODEL_MAPPING_NAMES["hf_ssl_gpt"] == "GPTModel"
    assert tables.MODEL_FOR_CAUSAL_LM_MAPPING_NAMES["hf_ssl_gpt"] == "GPTLMHeadModel"
    assert tables.MODEL_FOR_MASKED_LM_MAPPING_NAMES["hf_ssl_bert"] == "BertForMaskedLM"
    assert tables.MODEL_FOR_SEQ_TO_SEQ_CAUSAL_LM_MAPPING_NAMES["hf_ssl_t5"] == "T5ForConditionalGeneration"
    # The lazy Auto mappings walk the config table, which has no hf_ssl model type: listing them
    # still works and never tries to import hf_ssl's types from transformers.
    assert hf_ssl.GPTConfig in list(modeling_auto.MODEL_FOR_CAUSAL_LM_MAPPING.keys())


def _causal_lm(family: str = "gpt2") -> hf_ssl.GPTLMHeadModel:
    return make_model(
        family, hf_ssl.AUTO_CLASSES[type(TINY_CONFIGS[family])][modeling_auto.AutoModelForCausalLM]
    )


@pytest.mark.parametrize("family", ["gpt2", "prefix_lm"])
def test_shift_labels_are_the_targets_when_given(family):
    model = _causal_lm(family).eval()
    ids = torch.randint(5, 128, (2, 6))
    shifted = torch.randint(5, 128, (2, 6))
    logits = model(input_ids=ids).logits
    expected = torch.nn.functional.cross_entropy(logits.flatten(0, 1), shifted.flatten())
    for labels in (ids, torch.randint(5, 128, (2, 6))):  # labels are ignored beside shift_labels
        loss = model(input_ids=ids, labels=labels, shift_labels=shifted).loss
        torch.testing.assert_close(loss, expected)


def test_gpt_config_ids_fit_its_vocabulary():
    assert hf_ssl.GPTConfig(vocab_size=128).bos_token_id is None
    gpt2 = hf_ssl.GPTConfig()
    assert (gpt2.vocab_size, gpt2.bos_token_id, gpt2.eos_token_id) == (50257, 50256, 50256)
    padded = hf_ssl.GPTConfig(vocab_size=50304)  # GPT-2's vocabulary padded: its end-of-text id stays
    assert (padded.bos_token_id, padded.eos_token_id) == (50256, 50256)
    assert hf_ssl.GPTConfig(vocab_size=51200, bos_token_id=None).bos_token_id is None  # Megatron's
    with pytest.raises(ValueError, match="bos_token_id=500"):
        hf_ssl.GPTConfig(vocab_size=128, bos_token_id=500)


@pytest.mark.parametrize("family", ["bart", "mass"])
def test_resizing_embeddings_resizes_the_logits_bias(family):
    config = TINY_CONFIGS[family]
    model = make_model(family, hf_ssl.AUTO_CLASSES[type(config)][modeling_auto.AutoModelForSeq2SeqLM]).eval()
    with torch.no_grad():
        model.final_logits_bias.normal_()
    old_bias = model.final_logits_bias.clone()
    model.resize_token_embeddings(config.vocab_size + 10)
    assert model.final_logits_bias.shape == (1, config.vocab_size + 10)
    torch.testing.assert_close(model.final_logits_bias[:, : config.vocab_size], old_bias)
    assert model.final_logits_bias[:, config.vocab_size :].abs().sum() == 0
    ids = torch.tensor([[config.vocab_size + 3, 7, 8, config.eos_token_id]])
    assert model(input_ids=ids).logits.shape[-1] == config.vocab_size + 10


def _seq2seq_head(family: str, auto_class: type) -> torch.nn.Module:
    return make_model(family, hf_ssl.AUTO_CLASSES[type(TINY_CONFIGS[family])][auto_class]).eval()


@pytest.mark.parametrize("family", ["bart", "mass"])
def test_embeddings_of_the_input_table_equal_the_ids(family):
    """MASS scales word vectors by sqrt(D): the scale lives in get_input_embeddings(), as in transformers."""
    model = _seq2seq_head(family, modeling_auto.AutoModel)
    ids, decoder_ids = torch.randint(5, 128, (2, 6)), torch.randint(5, 128, (2, 5))
    table = model.get_input_embeddings()
    with torch.no_grad():
        from_ids = model(input_ids=ids, decoder_input_ids=decoder_ids).last_hidden_state
        from_embeds = model(
            inputs_embeds=table(ids), decoder_inputs_embeds=table(decoder_ids)
        ).last_hidden_state
    torch.testing.assert_close(from_embeds, from_ids)


def test_task_heads_take_inputs_embeds():
    cases = [
        ("gpt2", modeling_auto.AutoModelForSequenceClassification, (2, 6)),
        ("gpt2", modeling_auto.AutoModelForMultipleChoice, (2, 3, 6)),
        ("bart", modeling_auto.AutoModelForQuestionAnswering, (2, 6)),
        ("bart", modeling_auto.AutoModelForSequenceClassification, (2, 6)),
    ]
    for family, auto_class, shape in cases:
        model = make_model(family, hf_ssl.AUTO_CLASSES[type(TINY_CONFIGS[family])][auto_class]).eval()
        ids = torch.randint(5, 128, shape)
        ids[..., -1] = model.config.eos_token_id or 5  # BART reads the state at the final </s>
        inputs = {}
        if model.config.is_encoder_decoder:
            decoder_ids = model.model.shift_right(ids, "input_ids")
            inputs["decoder_inputs_embeds"] = model.get_input_embeddings()(decoder_ids)
        with torch.no_grad():
            from_ids = model(input_ids=ids, **({"decoder_input_ids": decoder_ids} if inputs else {}))
            from_embeds = model(inputs_embeds=model.get_input_embeddings()(ids), **inputs)
        for key in ("logits", "start_logits"):
            if key in from_ids:
                torch.testing.assert_close(from_embeds[key], from_ids[key], msg=f"{type(model).__name__}")


def _gradients(model: torch.nn.Module, ids: torch.Tensor, labels: torch.Tensor) -> dict[str, torch.Tensor]:
    model.zero_grad()
    model(input_ids=ids, labels=labels).loss.backward()
    return {name: p.grad.clone() for name, p in model.named_parameters() if p.grad is not None}


def test_reentrant_checkpointing_trains_t5_like_the_plain_model():
    torch.manual_seed(0)
    model = hf_ssl.T5ForConditionalGeneration(TINY_CONFIGS["t5"]).train()
    ids, labels = torch.randint(5, 128, (3, 7)), torch.randint(5, 128, (3, 7))
    plain = _gradients(model, ids, labels)
    model.activation_checkpointing_enable(activation_checkpointing_kwargs={"use_reentrant": True})
    checkpointed = _gradients(model, ids, labels)
    assert plain.keys() == checkpointed.keys()
    for name, gradient in plain.items():
        torch.testing.assert_close(checkpointed[name], gradient, atol=1e-5, rtol=1e-4, msg=name)


def test_switch_refuses_reentrant_checkpointing():
    model = hf_ssl.T5ForConditionalGeneration(TINY_CONFIGS["switch"])
    with pytest.raises(ValueError, match="use_reentrant=True: Switch's router loss"):
        model.activation_checkpointing_enable(activation_checkpointing_kwargs={"use_reentrant": True})
    model.activation_checkpointing_enable()  # the default, non-reentrant, works


def test_output_flags_set_on_the_config_are_honoured():
    config = type(TINY_CONFIGS["t5"]).from_dict(TINY_CONFIGS["t5"].to_dict())
    config.output_attentions = config.output_hidden_states = True
    encoder = hf_ssl.T5EncoderModel(config).eval()
    out = encoder(input_ids=torch.randint(5, 128, (2, 5)))
    assert len(out.attentions) == len(out.hidden_states) - 1 == config.num_layers


def test_a_saved_config_keeps_attributes_set_on_it():
    config = hf_ssl.BertConfig(vocab_size=128, hidden_size=32, num_attention_heads=4, intermediate_size=64)
    config.layer_norm_epsilon = 0.5  # a near miss of layer_norm_eps, set on purpose
    with tempfile.TemporaryDirectory() as directory:
        config.save_pretrained(directory)
        assert hf_ssl.BertConfig.from_pretrained(directory).layer_norm_epsilon == 0.5
    with pytest.raises(ValueError, match="did you mean 'layer_norm_eps'"):
        hf_ssl.BertConfig(layer_norm_epsilon=0.5)  # typed by hand: refused


def _saved(model: torch.nn.Module, directory: str, weights: dict[str, torch.Tensor] | None = None) -> str:
    model.save_pretrained(directory)
    if weights is not None:
        save_file(weights, f"{directory}/model.safetensors", metadata={"format": "pt"})
    return directory


def test_asking_for_the_loading_report_returns_it():
    with tempfile.TemporaryDirectory() as directory:
        _saved(hf_ssl.BertModel(TINY_CONFIGS["bert"]), directory, {"unrelated": torch.zeros(2)})
        with pytest.raises(CheckpointError, match="does not fit"):
            hf_ssl.BertModel.from_pretrained(directory)
        _, info = hf_ssl.BertModel.from_pretrained(directory, output_loading_info=True)
        assert "embeddings.word_embeddings.weight" in info["missing_keys"]
        assert set(info["unexpected_keys"]) == {"unrelated"}
        with pytest.raises(CheckpointError):
            hf_ssl.BertModel.from_pretrained(directory, output_loading_info=True, strict=True)


def test_ignore_mismatched_sizes_accepts_the_mismatches_only():
    with tempfile.TemporaryDirectory() as directory:
        _saved(hf_ssl.BertForSequenceClassification(TINY_CONFIGS["bert"]), directory)
        resized = hf_ssl.BertConfig.from_pretrained(directory, vocab_size=64)
        with pytest.raises(RuntimeError, match="ignore_mismatched_sizes"):  # transformers' own refusal
            hf_ssl.BertModel.from_pretrained(directory, config=resized)
        model = hf_ssl.BertModel.from_pretrained(directory, config=resized, ignore_mismatched_sizes=True)
        assert model.get_input_embeddings().weight.shape[0] == 64
        head = hf_ssl.BertForSequenceClassification.from_pretrained(
            directory, num_labels=7, ignore_mismatched_sizes=True
        )
        assert head(input_ids=torch.tensor([[5, 6]])).logits.shape == (1, 7)


def test_electra_checkpoint_without_the_shared_embeddings_initialises_them():
    model = hf_ssl.ElectraForPreTraining(TINY_CONFIGS["electra"])
    with tempfile.TemporaryDirectory() as directory:
        _saved(model, directory, {"unrelated": torch.zeros(2)})
        loaded = hf_ssl.ElectraForPreTraining.from_pretrained(directory, strict=False)
    assert [name for name, p in loaded.named_parameters() if p.is_meta] == []
    shared = loaded.discriminator.electra.embeddings.word_embeddings.weight
    assert loaded.generator.electra.embeddings.word_embeddings.weight is shared
    assert loaded.generator.lm_head.decoder.weight is shared


@pytest.mark.parametrize("family", ["bart", "mass"])
def test_the_decoder_alone_is_a_causal_lm(family):
    decoder = _seq2seq_head(family, modeling_auto.AutoModel).get_decoder()
    ids = torch.randint(5, 128, (2, 5))
    changed = ids.clone()
    changed[:, -1] = 7
    with torch.no_grad():
        states, states_changed = decoder(ids).last_hidden_state, decoder(changed).last_hidden_state
    torch.testing.assert_close(states[:, :-1], states_changed[:, :-1])  # no position sees a later one
    assert not torch.allclose(states[:, -1], states_changed[:, -1])


def _tagger() -> torch.nn.Module:
    return make_model("taglm", hf_ssl.TagLMForTokenClassification).eval()


def test_resizing_the_tagger_resizes_every_table_of_ids():
    model = _tagger()
    with torch.no_grad():
        model.token_chars[5] = torch.arange(1, model.token_chars.shape[1] + 1)
    old_chars = model.token_chars.clone()
    size = model.config.vocab_size + 9
    model.resize_token_embeddings(size)
    assert model.token_chars.shape[0] == size and model.lm.get_input_embeddings().num_embeddings == size
    torch.testing.assert_close(model.token_chars[: old_chars.shape[0]], old_chars)
    assert model.token_chars[old_chars.shape[0] :].abs().sum() == 0  # new ids: no characters yet
    out = model(input_ids=torch.tensor([[size - 1, 5, 6]]), output_hidden_states=True)
    assert out.logits.shape[:2] == (1, 3)
    assert [tuple(h.shape) for h in out.hidden_states] == [(1, 3, 2 * model.config.rnn_hidden_size)] * 2
