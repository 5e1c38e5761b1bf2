"""ELECTRA specifics: replaced-token labels, gradient isolation, loss weights, training, discriminator export."""

from __future__ import annotations

import pytest
import torch
from transformers import AutoModelForSequenceClassification, Trainer, TrainingArguments

import hf_ssl
from hf_ssl.constants import IGNORE_INDEX
from hf_ssl.objectives import MaskedLMCollator

from .tiny import TINY_CONFIGS, VOCAB

MASK = 4


def _model(**overrides) -> hf_ssl.ElectraForPreTraining:
    torch.manual_seed(0)
    config = hf_ssl.ElectraConfig.from_dict({**TINY_CONFIGS["electra"].to_dict(), **overrides})
    return hf_ssl.ElectraForPreTraining(config)


def _masked_batch(seed: int = 0) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    original = torch.randint(5, VOCAB, (4, 12), generator=g)
    labels = torch.full_like(original, IGNORE_INDEX)
    labels[:, [2, 5, 9]] = original[:, [2, 5, 9]]
    inputs = original.masked_fill(labels.ne(IGNORE_INDEX), MASK)
    return {"input_ids": inputs, "attention_mask": torch.ones_like(inputs), "labels": labels}


def _force_generator_to_predict(model: hf_ssl.ElectraForPreTraining, token: int) -> None:
    with torch.no_grad():
        model.generator.lm_head.decoder.bias.zero_()
        model.generator.lm_head.decoder.bias[token] = 1e4


def test_a_sample_equal_to_the_original_counts_as_original():
    model = _model().eval()
    batch = _masked_batch()
    batch["labels"][batch["labels"].ne(IGNORE_INDEX)] = 7  # every masked original is token 7
    _force_generator_to_predict(model, 7)
    assert not model(**batch).replaced.any()


def test_only_masked_positions_can_be_replaced():
    model = _model().eval()
    batch = _masked_batch()
    _force_generator_to_predict(model, 3)  # never an original (originals are >= 5)
    replaced = model(**batch).replaced
    assert torch.equal(replaced, batch["labels"].ne(IGNORE_INDEX))


def test_loss_is_generator_mlm_plus_fifty_times_discriminator_bce():
    model = _model().eval()
    out = model(**_masked_batch())
    assert model.config.rtd_weight == 50.0
    torch.testing.assert_close(out.loss, out.generator_loss + 50.0 * out.discriminator_loss)
    assert 0.0 <= float(out.discriminator_accuracy) <= 1.0


def test_discriminator_loss_sends_no_gradient_to_the_generator():
    model = _model(mlm_weight=0.0).train()
    model(**_masked_batch()).loss.backward()
    generator_own = [
        (name, p)
        for name, p in model.generator.named_parameters()
        if not name.startswith("electra.embeddings.") and name != "lm_head.decoder.weight"
    ]
    assert generator_own
    for name, p in generator_own:
        assert p.grad is None or float(p.grad.abs().max()) == 0.0, name
    # The shared embeddings do learn from the discriminator.
    assert float(model.discriminator.electra.embeddings.word_embeddings.weight.grad.abs().max()) > 0


def test_generator_and_discriminator_share_embeddings_but_not_encoders():
    model = _model()
    gen, disc = model.generator.electra, model.discriminator.electra
    for name in ("word_embeddings", "position_embeddings", "token_type_embeddings", "norm"):
        for own, shared in zip(
            getattr(gen.embeddings, name).parameters(),
            getattr(disc.embeddings, name).parameters(),
            strict=True,
        ):
            assert own is shared  # tied parameter by parameter, as transformers ties
    assert model.generator.lm_head.decoder.weight is disc.embeddings.word_embeddings.weight
    assert gen.encoder.layers[0].self_attn.qkv_proj.weight.shape[0] == 3 * 16  # half width
    assert disc.encoder.layers[0].self_attn.qkv_proj.weight.shape[0] == 3 * 32


def test_replaced_token_detection_training_lowers_the_discriminator_loss():
    torch.manual_seed(0)
    model = _model().train()
    collator = MaskedLMCollator(
        vocab_size=VOCAB,
        mask_token_id=MASK,
        pad_token_id=0,
        special_token_ids=(1, 2, 3),
        mask_replace_prob=0.85,
        random_replace_prob=0.0,
        seed=0,
    )  # ELECTRA's 85/15
    # A tiny language: repeating 8-token phrases, so the generator can learn and the task is not trivial.
    phrases = torch.randint(5, VOCAB, (6, 8), generator=torch.Generator().manual_seed(1))
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-3)
    losses = []
    for step in range(80):
        rows = [phrases[(step + i) % 6].repeat(3)[:20].tolist() for i in range(16)]
        out = model(**collator(rows))
        out.loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        losses.append(float(out.discriminator_loss))
    first, last = sum(losses[:10]) / 10, sum(losses[-10:]) / 10
    assert last < first - 0.1, (first, last)


def test_saved_discriminator_loads_for_fine_tuning(tmp_path):
    model = _model()
    model.save_discriminator(tmp_path)
    classifier = AutoModelForSequenceClassification.from_pretrained(tmp_path, num_labels=2)
    assert isinstance(classifier, hf_ssl.ElectraForSequenceClassification)
    torch.testing.assert_close(
        classifier.electra.encoder.layers[1].ffn.up_proj.weight,
        model.discriminator.electra.encoder.layers[1].ffn.up_proj.weight,
    )


def test_trainer_logs_both_losses_and_the_discriminator_accuracy(tmp_path):
    model = _model()
    rows = [{k: v[i] for k, v in _masked_batch(seed).items()} for seed in range(2) for i in range(4)]
    args = TrainingArguments(
        str(tmp_path),
        max_steps=4,
        per_device_train_batch_size=4,
        logging_steps=2,
        report_to=[],
        save_strategy="no",
        use_cpu=True,
        disable_tqdm=True,
    )
    trainer = Trainer(model=model, args=args, train_dataset=rows, callbacks=[hf_ssl.ComponentLossCallback()])
    trainer.train()
    logged = [entry for entry in trainer.state.log_history if "loss" in entry]
    assert len(logged) == 2
    for entry in logged:
        assert {"generator_loss", "discriminator_loss", "discriminator_accuracy"} <= set(entry)


@pytest.mark.parametrize(
    ("field", "value"), [("generator_size", 1.5), ("generator_size", 0.0), ("sampling_temperature", 0.0)]
)
def test_bad_electra_values_raise_naming_the_value(field, value):
    with pytest.raises(ValueError, match=f"{field}={value}"):
        hf_ssl.ElectraConfig(**{field: value})


def test_without_labels_the_discriminator_scores_the_input_as_given():
    model = _model().eval()
    ids = torch.tensor([[5, 6, 7, 8]])
    scores = model(input_ids=ids, output_hidden_states=True)
    own = model.discriminator(input_ids=ids, output_hidden_states=True)
    torch.testing.assert_close(scores.logits, own.logits, rtol=0, atol=0)
    assert scores.loss is None and len(scores.hidden_states) == model.config.num_hidden_layers + 1


def test_pretraining_on_embeddings_says_what_it_needs():
    model = _model()
    with pytest.raises(ValueError, match="trains on input_ids with labels"):
        model(inputs_embeds=torch.zeros(1, 3, model.config.embedding_size), labels=torch.tensor([[5, 6, 7]]))


@pytest.mark.parametrize(
    ("name", "published"), [("electra-small", 14e6), ("electra-base", 110e6), ("electra-large", 335e6)]
)
def test_presets_have_the_published_discriminator_sizes(name, published):
    with torch.device("meta"):
        model = hf_ssl.ElectraModel(hf_ssl.ElectraConfig(**hf_ssl.preset(name), vocab_size=30522))
    assert sum(p.numel() for p in model.parameters()) == pytest.approx(published, rel=0.05)


def test_generator_config_follows_the_reference_sizing():
    config = hf_ssl.ElectraConfig(**hf_ssl.preset("electra-small"), vocab_size=30522)
    generator = config.generator_config()
    # Small: hidden 256 -> 64, heads max(1, 64 // 64) = 1, FFN 4 x 64, same depth (run_pretraining.py:338-348).
    assert (generator.hidden_size, generator.num_attention_heads, generator.intermediate_size) == (64, 1, 256)
    assert generator.num_hidden_layers == 12 and generator.embedding_size == 128


@torch.no_grad()
def test_other_classes_load_the_discriminator_of_a_joint_checkpoint(tmp_path):
    from transformers import AutoModel, AutoModelForSequenceClassification

    from .tiny import make_model

    joint = make_model("electra", hf_ssl.ElectraForPreTraining)
    joint.save_pretrained(tmp_path)
    bare, info = AutoModel.from_pretrained(tmp_path, output_loading_info=True)
    assert not info["missing_keys"] and all(
        k.startswith(("generator.", "discriminator.rtd_head.")) for k in info["unexpected_keys"]
    )
    classifier = AutoModelForSequenceClassification.from_pretrained(tmp_path)
    for key, value in joint.discriminator.electra.state_dict().items():
        assert torch.equal(bare.state_dict()[key], value), key
        assert torch.equal(classifier.electra.state_dict()[key], value), key
