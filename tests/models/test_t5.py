"""T5 and Switch: parity with transformers' T5 / SwitchTransformers (logits, losses, greedy and beam
search), Auto-class round trips, padding invariance, attention backends, cached generation, Trainer
steps with the router losses, router capacity and config validation."""

from __future__ import annotations

import pytest
import torch
import transformers
from transformers import (
    AutoModel,
    AutoModelForPreTraining,
    AutoModelForSeq2SeqLM,
    AutoModelForTextEncoding,
    Trainer,
    TrainingArguments,
)

import hf_ssl
from hf_ssl import from_transformers, to_transformers
from hf_ssl.layers import SwitchFeedForward, TransformerLayer, load_balancing_loss, router_z_loss
from hf_ssl.layers.positions import relative_position_bucket

VOCAB = 120
SIZES = {"d_model": 32, "d_kv": 8, "d_ff": 64, "num_heads": 4, "num_layers": 2, "dropout_rate": 0.0}
VARIANTS = {
    "v1.0": {"feed_forward_proj": "relu", "tie_word_embeddings": True},
    "v1.1": {"feed_forward_proj": "gated-gelu", "tie_word_embeddings": False},
}
SWITCH = {"num_experts": 4, "expert_capacity": 3, "num_layers": 4, "router_jitter_noise": 0.0}


def tiny_config(variant: str = "v1.0", **overrides) -> hf_ssl.T5Config:
    return hf_ssl.T5Config(vocab_size=VOCAB, **{**SIZES, **VARIANTS[variant], **overrides})


def tiny_model(
    config: hf_ssl.T5Config, attn: str = "sdpa", seed: int = 0
) -> hf_ssl.T5ForConditionalGeneration:
    torch.manual_seed(seed)
    return hf_ssl.T5ForConditionalGeneration._from_config(config, attn_implementation=attn).eval()


def batch(seed: int = 0) -> dict[str, torch.Tensor]:
    """Right-padded encoder rows of lengths 9, 6, 3 and labels of lengths 5, 3, 2 (-100 after)."""
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(3, VOCAB, (3, 9), generator=g)
    mask = (torch.arange(9) < torch.tensor([[9], [6], [3]])).long()
    labels = torch.randint(3, VOCAB, (3, 5), generator=g)
    labels[(torch.arange(5) >= torch.tensor([[5], [3], [2]]))] = -100
    return {"input_ids": ids.masked_fill(mask == 0, 0), "attention_mask": mask, "labels": labels}


def their_t5(variant: str, attn: str) -> transformers.T5ForConditionalGeneration:
    torch.manual_seed(0)
    # decoder_start_token_id is no declared field of T5Config in 5.23, but its _shift_right reads it.
    config = transformers.T5Config(vocab_size=VOCAB, **SIZES, **VARIANTS[variant], decoder_start_token_id=0)
    return transformers.T5ForConditionalGeneration._from_config(config, attn_implementation=attn).eval()


def their_switch(attn: str = "eager") -> transformers.SwitchTransformersForConditionalGeneration:
    torch.manual_seed(0)
    config = transformers.SwitchTransformersConfig(
        vocab_size=VOCAB,
        **{**SIZES, "num_layers": 4, "num_decoder_layers": 4},
        num_experts=4,
        expert_capacity=3,
        num_sparse_encoder_layers=2,
        num_sparse_decoder_layers=2,
        decoder_start_token_id=0,
    )
    return transformers.SwitchTransformersForConditionalGeneration._from_config(
        config, attn_implementation=attn
    ).eval()


# --- parity with transformers -------------------------------------------------------------------


@pytest.mark.parametrize("attn", ["eager", "sdpa"])
@pytest.mark.parametrize("variant", ["v1.0", "v1.1"])
def test_logits_and_loss_equal_transformers_t5(variant, attn):
    theirs = their_t5(variant, attn)
    ours = from_transformers(theirs)
    assert ours.config.tie_word_embeddings == (variant == "v1.0")
    inputs = batch()
    with torch.no_grad():
        expected, got = theirs(**inputs), ours(**inputs)
    torch.testing.assert_close(got.logits, expected.logits, atol=1e-5, rtol=0)
    torch.testing.assert_close(got.loss, expected.loss, atol=1e-5, rtol=0)


def test_switch_logits_and_loss_with_router_losses_equal_transformers():
    theirs = their_switch()
    ours = from_transformers(theirs)
    assert [ours.config.is_sparse_layer(i, decoder=False) for i in range(4)] == [False, True, False, True]
    inputs = batch()
    with torch.no_grad():
        expected = theirs(**inputs, output_router_logits=True)
        got = ours(**inputs)
    # Capacity 3 of 9 tokens per row over 4 experts: some tokens must have been dropped.
    switches = [layer.ffn for layer in ours.encoder.stack.layers if isinstance(layer.ffn, SwitchFeedForward)]
    assert len(switches) == 2 and any(not bool(f.last_dispatched.all()) for f in switches)
    torch.testing.assert_close(got.logits, expected.logits, atol=1e-5, rtol=0)
    torch.testing.assert_close(got.loss, expected.loss, atol=1e-5, rtol=0)
    torch.testing.assert_close(got.z_loss, expected.encoder_z_loss + expected.decoder_z_loss)
    torch.testing.assert_close(got.aux_loss, expected.encoder_aux_loss + expected.decoder_aux_loss)


@pytest.mark.parametrize("family", ["T5", "SwitchTransformers"])
def test_bare_model_and_encoder_equal_their_transformers_twins(family):
    config = their_switch().config if family == "SwitchTransformers" else their_t5("v1.1", "eager").config
    inputs = {k: v for k, v in batch().items() if k != "labels"}
    decoder_ids = torch.randint(3, VOCAB, (3, 4))
    for suffix, ours_class in (("Model", hf_ssl.T5Model), ("EncoderModel", hf_ssl.T5EncoderModel)):
        torch.manual_seed(0)
        theirs = (
            getattr(transformers, family + suffix)._from_config(config, attn_implementation="eager").eval()
        )
        ours = from_transformers(theirs)
        assert type(ours) is ours_class
        extra = {"decoder_input_ids": decoder_ids} if suffix == "Model" else {}
        with torch.no_grad():
            expected, got = theirs(**inputs, **extra), ours(**inputs, **extra)
        torch.testing.assert_close(got.last_hidden_state, expected.last_hidden_state, atol=1e-5, rtol=0)


@pytest.mark.parametrize("model", ["v1.0", "v1.1", "switch"])
def test_greedy_and_beam_search_equal_transformers_token_for_token(model):
    theirs = their_switch() if model == "switch" else their_t5(model, "sdpa")
    ours = from_transformers(theirs)
    inputs = {k: v for k, v in batch().items() if k != "labels"}
    for options in ({"do_sample": False}, {"do_sample": False, "num_beams": 3}):
        expected = theirs.generate(**inputs, max_new_tokens=8, decoder_start_token_id=0, **options)
        got = ours.generate(**inputs, max_new_tokens=8, **options)
        assert got.tolist() == expected.tolist()


@pytest.mark.parametrize("model", ["v1.0", "switch"])
def test_to_transformers_gives_the_same_logits(model):
    config = tiny_config(**SWITCH) if model == "switch" else tiny_config()
    ours = tiny_model(config, attn="eager")
    theirs = to_transformers(ours)
    assert type(theirs).__name__.startswith("Switch" if model == "switch" else "T5")
    inputs = batch()
    with torch.no_grad():
        torch.testing.assert_close(theirs(**inputs).logits, ours(**inputs).logits, atol=1e-5, rtol=0)


def test_to_transformers_refuses_an_untied_head_that_transformers_would_tie():
    with pytest.raises(ValueError, match="tie_word_embeddings=False"):
        to_transformers(tiny_model(tiny_config("v1.1")))


def test_relative_position_buckets_equal_transformers_in_both_directions():
    relative = torch.arange(-300, 301)[None, :]
    reference = transformers.models.t5.modeling_t5.T5Attention._relative_position_bucket
    for bidirectional in (True, False):
        ours = relative_position_bucket(relative, bidirectional=bidirectional)
        assert torch.equal(ours, reference(relative, bidirectional=bidirectional))
        assert (int(ours.min()), int(ours.max())) == (0, 31)


# --- Auto classes, save and load ------------------------------------------------------------------


@pytest.mark.parametrize("variant", ["v1.0", "v1.1"])
def test_save_then_load_through_auto_classes_gives_identical_outputs(variant, tmp_path):
    model = tiny_model(tiny_config(variant))
    model.save_pretrained(tmp_path)
    inputs = batch()
    with torch.no_grad():
        expected = model(**inputs)
        for auto_class, cls in (
            (AutoModelForSeq2SeqLM, hf_ssl.T5ForConditionalGeneration),
            (AutoModelForPreTraining, hf_ssl.T5ForConditionalGeneration),
            (AutoModel, hf_ssl.T5Model),
            (AutoModelForTextEncoding, hf_ssl.T5EncoderModel),
        ):
            loaded, info = auto_class.from_pretrained(tmp_path, output_loading_info=True)
            assert type(loaded) is cls
            assert not info["missing_keys"] and not info["mismatched_keys"]
            if cls is hf_ssl.T5ForConditionalGeneration:
                assert not info["unexpected_keys"]
                torch.testing.assert_close(loaded(**inputs).logits, expected.logits, atol=0, rtol=0)
            elif cls is hf_ssl.T5EncoderModel:
                states = loaded(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"])
                torch.testing.assert_close(states.last_hidden_state, expected.encoder_last_hidden_state)
    untied = variant == "v1.1"
    reloaded = hf_ssl.T5ForConditionalGeneration.from_pretrained(tmp_path)
    assert (reloaded.lm_head.weight is reloaded.shared.weight) is not untied


def test_a_transformers_t5_checkpoint_loads_into_the_hf_ssl_class(tmp_path):
    theirs = their_t5("v1.0", "sdpa")
    theirs.save_pretrained(tmp_path)
    ours = hf_ssl.T5ForConditionalGeneration.from_pretrained(tmp_path).eval()
    inputs = batch()
    with torch.no_grad():
        torch.testing.assert_close(ours(**inputs).logits, theirs(**inputs).logits, atol=1e-5, rtol=0)


# --- model behaviour ----------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["v1.1", "switch"])
def test_padded_batch_equals_each_row_alone_on_encoder_and_decoder_side(model):
    # Capacity 64 never fills: routing per row cannot depend on the padding after it.
    config = tiny_config("v1.1") if model == "v1.1" else tiny_config(**{**SWITCH, "expert_capacity": 64})
    ours = tiny_model(config)
    inputs = batch()
    decoder_ids = ours._shift_right(inputs["labels"])
    decoder_mask = (inputs["labels"] != -100).long()
    decoder_mask[:, 0] = 1
    with torch.no_grad():
        padded = ours(
            input_ids=inputs["input_ids"],
            attention_mask=inputs["attention_mask"],
            decoder_input_ids=decoder_ids,
            decoder_attention_mask=decoder_mask,
        ).logits
        for row in range(3):
            n, m = int(inputs["attention_mask"][row].sum()), int(decoder_mask[row].sum())
            alone = ours(
                input_ids=inputs["input_ids"][row : row + 1, :n],
                decoder_input_ids=decoder_ids[row : row + 1, :m],
            ).logits
            torch.testing.assert_close(padded[row : row + 1, :m], alone, atol=1e-5, rtol=1e-5)


def test_left_padded_encoder_rows_equal_the_rows_alone():
    ours = tiny_model(tiny_config())
    ids = torch.randint(3, VOCAB, (2, 6))
    left = torch.cat([torch.zeros(1, 2, dtype=torch.long), ids[1:, :4]], dim=1)
    mask = torch.tensor([[1] * 6, [0, 0, 1, 1, 1, 1]])
    decoder = torch.randint(3, VOCAB, (2, 3))
    with torch.no_grad():
        padded = ours(
            input_ids=torch.cat([ids[:1], left]), attention_mask=mask, decoder_input_ids=decoder
        ).logits
        alone = ours(input_ids=ids[1:, :4], decoder_input_ids=decoder[1:]).logits
    torch.testing.assert_close(padded[1:], alone, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("model", ["v1.0", "switch"])
def test_eager_and_sdpa_give_the_same_outputs(model):
    inputs = batch()
    outputs = []
    for attn in ("eager", "sdpa"):
        config = tiny_config(**SWITCH) if model == "switch" else tiny_config(num_layers=4)
        with torch.no_grad():
            outputs.append(tiny_model(config, attn=attn)(**inputs))
    torch.testing.assert_close(outputs[0].logits, outputs[1].logits, atol=1e-5, rtol=1e-5)


def test_fresh_weights_follow_t5s_initialisation():
    # transformers skips parameter-less modules of third-party models in its init pass; T5's
    # per-role scheme must still run (otherwise every weight is N(0, 1) and fp32 noise explodes).
    config = tiny_config(**SWITCH)
    ours = tiny_model(config)
    d_model, d_kv, inner = config.d_model, config.d_kv, config.num_heads * config.d_kv
    attention = ours.encoder.stack.layers[0].self_attn
    query, key_value = attention.qkv_proj.weight.split([inner, 2 * inner])
    expected = {
        "query": (query, (d_model * d_kv) ** -0.5),
        "key/value": (key_value, d_model**-0.5),
        "output": (attention.o_proj.weight, inner**-0.5),
        "ffn down": (ours.encoder.stack.layers[0].ffn.down_proj.weight, config.d_ff**-0.5),
        "bias table": (ours.encoder.relative_position_bias.embedding.weight, d_model**-0.5),
        "embeddings": (ours.shared.weight, 1.0),
    }
    for name, (weight, std) in expected.items():
        assert float(weight.detach().std()) == pytest.approx(std, rel=0.25), name
    assert torch.equal(ours.encoder.stack.final_norm.weight, torch.ones(d_model))


def test_labels_are_shifted_right_into_decoder_inputs_with_ignored_positions_as_pad():
    ours = tiny_model(tiny_config())
    inputs = batch()
    shifted = ours._shift_right(inputs["labels"])
    assert shifted[:, 0].tolist() == [0, 0, 0]
    assert torch.equal(shifted[:, 1:][inputs["labels"][:, :-1] == -100], torch.zeros(3, dtype=torch.long))
    with torch.no_grad():
        implicit = ours(**inputs)
        explicit = ours(**inputs, decoder_input_ids=shifted)
    torch.testing.assert_close(implicit.logits, explicit.logits, atol=0, rtol=0)


def test_without_decoder_inputs_the_input_itself_is_decoded_shifted_right():
    ours = tiny_model(tiny_config())
    inputs = {k: v for k, v in batch().items() if k != "labels"}
    with torch.no_grad():
        implicit = ours(**inputs).logits
        explicit = ours(**inputs, decoder_input_ids=ours._shift_right(inputs["input_ids"])).logits
        torch.manual_seed(0)
        bare = hf_ssl.T5Model(tiny_config()).eval()(**inputs)  # the bare model takes the same default
    mask = inputs["attention_mask"].bool()
    torch.testing.assert_close(implicit[mask], explicit[mask], atol=1e-6, rtol=0)
    assert bare.last_hidden_state.shape == (3, 9, 32)
    with pytest.raises(ValueError, match="decoder_input_ids"):
        ours(inputs_embeds=torch.zeros(1, 2, 32))


@pytest.mark.parametrize("model", ["v1.1", "switch"])
def test_cached_generation_equals_uncached_with_a_deeper_decoder(model):
    # Capacity is per group of tokens routed together: uncached decoding routes the whole prefix at
    # once, cached decoding one token per row, so they agree only while capacity does not bind
    # (transformers' Switch behaves the same). 64 never binds here.
    extra = {**SWITCH, "expert_capacity": 64} if model == "switch" else {}
    ours = tiny_model(tiny_config("v1.1", **{**extra, "num_decoder_layers": 3}))
    inputs = {k: v for k, v in batch().items() if k != "labels"}
    for options in ({"do_sample": False}, {"do_sample": False, "num_beams": 2}, {"do_sample": True}):
        torch.manual_seed(7)
        cached = ours.generate(**inputs, max_new_tokens=6, use_cache=True, **options)
        torch.manual_seed(7)
        uncached = ours.generate(**inputs, max_new_tokens=6, use_cache=False, **options)
        assert cached.tolist() == uncached.tolist()
        assert (cached[:, 0] == 0).all()  # generation starts from the pad token


def test_micro_batch_losses_with_num_items_in_batch_sum_to_the_full_batch_loss():
    # What Trainer relies on under gradient accumulation (it passes num_items_in_batch, then sums).
    ours = tiny_model(tiny_config())
    inputs = batch()
    total = int((inputs["labels"] != -100).sum())
    with torch.no_grad():
        full = ours(**inputs).loss
        parts = [
            ours(**{k: v[i : i + 1] for k, v in inputs.items()}, num_items_in_batch=total).loss
            for i in range(3)
        ]
    torch.testing.assert_close(sum(parts), full, atol=1e-5, rtol=0)


def test_activation_checkpointing_gives_the_same_gradients():
    inputs = batch()
    grads = []
    for checkpointing in (False, True):
        ours = tiny_model(tiny_config(**SWITCH)).train()
        if checkpointing:
            ours.activation_checkpointing_enable()
        ours(**inputs).loss.backward()
        grads.append({n: p.grad.clone() for n, p in ours.named_parameters() if p.grad is not None})
    assert grads[0].keys() == grads[1].keys() and "shared.weight" in grads[0]
    for name, grad in grads[0].items():
        torch.testing.assert_close(grads[1][name], grad, atol=1e-6, rtol=1e-5, msg=name)


def test_hidden_states_and_attentions_cover_every_layer():
    ours = tiny_model(tiny_config(num_decoder_layers=3), attn="eager")
    with torch.no_grad():
        out = ours(**batch(), output_hidden_states=True, output_attentions=True)
    assert len(out.encoder_hidden_states) == 3 and len(out.decoder_hidden_states) == 4
    assert (
        len(out.encoder_attentions) == 2
        and len(out.decoder_attentions) == 3
        and len(out.cross_attentions) == 3
    )
    assert out.cross_attentions[0].shape == (3, 4, 5, 9)  # (b, h, t, s)
    # Attention to encoder padding is zero.
    assert float(out.cross_attentions[0][1, :, :, 6:].abs().max()) == 0.0
    torch.testing.assert_close(out.encoder_hidden_states[-1], out.encoder_last_hidden_state)


# --- Switch router --------------------------------------------------------------------------------


def test_tokens_over_capacity_pass_through_the_layer_unchanged():
    torch.manual_seed(0)
    switch = SwitchFeedForward(16, 32, 2, expert_capacity=1, bias=False)
    layer = TransformerLayer(
        16, 2, 32, norm_position="pre", norm="rms", bias=False, feed_forward=switch, attention_scaling=1.0
    ).eval()
    hidden = torch.randn(2, 5, 16)
    with torch.no_grad():
        routed = switch(hidden)
        dispatched = switch.last_dispatched
        # Each of the 2 experts takes at most 1 token per row: 2 of 5 tokens per row at most.
        assert int(dispatched.sum(dim=1).max()) <= 2 and not bool(dispatched.all())
        assert torch.all(routed[~dispatched] == 0) and torch.all(routed[dispatched].abs().sum(-1) > 0)
        ffn_in = torch.randn(2, 5, 16)
        out, _ = layer._residual(ffn_in, layer.ffn_norm, lambda x: (layer.ffn(x), None))
        dropped = ~layer.ffn.last_dispatched
        torch.testing.assert_close(out[dropped], ffn_in[dropped], atol=0, rtol=0)


def test_capacity_factor_sets_capacity_from_the_row_length():
    switch = SwitchFeedForward(8, 16, 4, capacity_factor=1.0)
    assert switch.capacity(10) == 3  # ceil(1.0 · 10 / 4)
    assert SwitchFeedForward(8, 16, 4, capacity_factor=2.0).capacity(10) == 5


def test_load_balancing_loss_is_one_under_uniform_routing_and_larger_when_collapsed():
    balanced = torch.eye(4).repeat(1, 2, 1) * 5.0  # (1, 8, 4): two tokens per expert, confident
    collapsed = torch.zeros(1, 8, 4)
    collapsed[..., 0] = 5.0
    assert float(load_balancing_loss(balanced)) == pytest.approx(1.0, abs=0.05)
    assert float(load_balancing_loss(collapsed)) > 3.5
    logits = torch.randn(2, 5, 4)
    assert float(router_z_loss(logits)) == pytest.approx(float(torch.logsumexp(logits, -1).pow(2).mean()))


def test_router_jitter_only_acts_in_training():
    switch = SwitchFeedForward(8, 16, 4, jitter_noise=0.5)
    hidden = torch.randn(2, 6, 8)
    switch.eval()
    assert torch.equal(switch.router(hidden), switch.router(hidden))
    switch.train()
    assert not torch.equal(switch.router(hidden), switch.router(hidden))


# --- training -------------------------------------------------------------------------------------


class _Rows(torch.utils.data.Dataset):
    def __init__(self) -> None:
        self.items = [{k: v[i] for k, v in batch(seed).items()} for seed in range(2) for i in range(3)]

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        return self.items[index]


@pytest.mark.parametrize("model", ["v1.0", "switch"])
def test_trainer_steps_lower_the_loss_and_switch_adds_its_router_losses(model, tmp_path):
    config = tiny_config(**SWITCH) if model == "switch" else tiny_config()
    ours = tiny_model(config).train()
    inputs = batch()
    with torch.no_grad():
        first = ours(**inputs)
    if model == "switch":
        expected = first.lm_loss + 1e-3 * first.z_loss + 1e-2 * first.aux_loss
        torch.testing.assert_close(first.loss, expected)
        assert float(first.z_loss) > 0 and float(first.aux_loss) >= 1.0 - 1e-4
    else:
        assert first.z_loss is None and torch.equal(first.loss, first.lm_loss)
    args = TrainingArguments(
        output_dir=str(tmp_path),
        per_device_train_batch_size=3,
        learning_rate=3e-3,
        max_steps=8,
        logging_steps=4,
        report_to=[],
        save_strategy="no",
        use_cpu=True,
        disable_tqdm=True,
    )
    callback = hf_ssl.ComponentLossCallback()
    trainer = Trainer(model=ours, args=args, train_dataset=_Rows(), callbacks=[callback])
    trainer.train()
    logged = [entry for entry in trainer.state.log_history if "loss" in entry]
    assert all(torch.isfinite(torch.tensor(entry["loss"])) for entry in logged)
    assert logged[-1]["loss"] < logged[0]["loss"]
    if model == "switch":
        assert {"lm_loss", "z_loss", "aux_loss"} <= set(logged[-1])


# --- configuration --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"feed_forward_proj": "gated-nope"}, "feed_forward_proj='gated-nope'"),
        ({"feed_forward_proj": "gated-gelu-x"}, "feed_forward_proj"),
        ({"num_experts": -1}, "num_experts=-1"),
        ({"expert_capacity": 0}, "expert_capacity=0"),
        ({"capacity_factor": 0.0}, "capacity_factor=0.0"),
        ({"dropout_rate": 1.0}, r"dropout_rate=1.0; expected a probability"),
        ({"pad_token_id": VOCAB}, f"pad_token_id={VOCAB}"),
        ({"d_kv": 0}, "d_kv=0"),
        ({"relative_attention_num_buckets": 2}, "relative_attention_num_buckets=2"),
        ({"router_jitter_noise": 1.5}, "router_jitter_noise=1.5"),
    ],
)
def test_bad_config_values_are_named_in_the_error(overrides, message):
    with pytest.raises(ValueError, match=message):
        tiny_config(**overrides)


def test_config_reads_v1_0_v1_1_and_switch_layouts():
    assert (tiny_config().dense_act_fn, tiny_config().is_gated_act) == ("relu", False)
    assert (tiny_config("v1.1").dense_act_fn, tiny_config("v1.1").is_gated_act) == ("gelu_new", True)
    config = tiny_config(num_decoder_layers=None, num_layers=3)
    assert config.num_decoder_layers == 3 and config.hidden_size == 32
    switch = hf_ssl.presets.get_config("switch-base-8")
    assert (switch.d_model, switch.d_ff, switch.num_layers, switch.num_heads, switch.num_experts) == (
        768,
        3072,
        12,
        12,
        8,
    )
    assert [switch.is_sparse_layer(i, decoder=True) for i in range(4)] == [False, True, False, True]


@pytest.mark.parametrize("variant", ["v1.0", "v1.1"])
@pytest.mark.parametrize("attn", ["eager", "sdpa"])
def test_packed_pairs_give_the_padded_batchs_loss_and_logits(variant, attn):
    """Packed (source, target) pairs: block-diagonal masks from restarting positions; the relative
    bias needs no positions, since distances inside a document do not depend on where it starts."""
    from hf_ssl.objectives import pack_seq2seq_batch

    model = tiny_model(tiny_config(variant), attn=attn)
    g = torch.Generator().manual_seed(5)
    pairs = [(13, 4), (5, 9), (9, 3), (3, 6), (7, 2)]  # (source, target) lengths, EOS included
    width_s, width_t = max(s for s, _ in pairs), max(t for _, t in pairs)
    padded = {
        "input_ids": torch.zeros(len(pairs), width_s, dtype=torch.long),
        "attention_mask": torch.zeros(len(pairs), width_s, dtype=torch.long),
        "labels": torch.full((len(pairs), width_t), -100, dtype=torch.long),
    }
    for row, (s, t) in enumerate(pairs):
        padded["input_ids"][row, :s] = torch.randint(3, 100, (s,), generator=g)
        padded["attention_mask"][row, :s] = 1
        padded["labels"][row, :t] = torch.randint(3, 100, (t,), generator=g)
    padded["decoder_input_ids"] = model.prepare_decoder_input_ids_from_labels(padded["labels"])
    padded["decoder_attention_mask"] = (padded["labels"] != -100).long()
    packed = pack_seq2seq_batch(padded, 24, 16, pad_token_id=0)
    assert packed["input_ids"].shape[0] < len(pairs)  # several pairs share a row
    with torch.no_grad():
        padded_out, packed_out = model(**padded), model(**packed)
    torch.testing.assert_close(packed_out.loss, padded_out.loss, atol=1e-6, rtol=1e-6)
    found = 0
    for row in range(packed["labels"].shape[0]):
        for start in (packed["decoder_position_ids"][row] == 0).nonzero().flatten().tolist():
            n = next(
                i
                for i, (_, t) in enumerate(pairs)
                if packed["labels"][row, start : start + t].tolist() == padded["labels"][i, :t].tolist()
            )
            t = pairs[n][1]
            torch.testing.assert_close(
                packed_out.logits[row, start : start + t], padded_out.logits[n, :t], atol=1e-5, rtol=1e-5
            )
            found += 1
    assert found == len(pairs)


def test_packed_decoder_positions_without_the_encoders_are_refused():
    model = tiny_model(tiny_config("v1.1"))
    data = batch()
    positions = torch.arange(data["labels"].shape[1]).expand_as(data["labels"])
    with pytest.raises(ValueError, match="both decoder_position_ids and the encoder's position_ids"):
        model(**data, decoder_position_ids=positions)
