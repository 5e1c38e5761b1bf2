"""ELMo: parity with the reference's own expected activations, heads, padding, save/load, Trainer, freezing.

ELMo's inputs are character ids (b, t, 50) and its pretraining labels live on `<S> w </S>` positions,
so it does not fit tests/models/tiny.py's (b, t) token-id inputs; round trip, Auto classes, padding
invariance and Trainer are covered here instead.

Parity: the PyPI wheel allennlp==0.9.0 ships a tiny bilm-tf model and the activations bilm-tf
computed for it (allennlp/tests/fixtures/elmo/, used by allennlp/tests/modules/elmo_test.py). The
wheel is downloaded once (never installed) into ~/.cache/hf_ssl/wheels.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import (
    AutoConfig,
    AutoModel,
    AutoModelForPreTraining,
    AutoModelForSequenceClassification,
    AutoModelForTokenClassification,
    Trainer,
    TrainingArguments,
)

import hf_ssl
from hf_ssl.constants import IGNORE_INDEX
from hf_ssl.objectives import CharLMCollator, batch_to_char_ids, build_word_vocab

WHEEL = "allennlp==0.9.0"
FIXTURES = "allennlp/tests/fixtures/elmo/"
SENTENCES = [["The", "cat", "sat", "on", "the", "mat", "."], ["A", "dog", "ran", "."], ["Hi", "!"]]
HEADS = [
    (AutoModel, hf_ssl.ElmoModel),
    (AutoModelForPreTraining, hf_ssl.ElmoForPreTraining),
    (AutoModelForTokenClassification, hf_ssl.ElmoForTokenClassification),
    (AutoModelForSequenceClassification, hf_ssl.ElmoForSequenceClassification),
]


def tiny_config(**overrides) -> hf_ssl.ElmoConfig:
    fields = {
        "char_embedding_dim": 4,
        "filters": [[1, 8], [2, 8], [3, 16]],
        "n_highway": 1,
        "projection_dim": 16,
        "lstm_dim": 32,
        "n_layers": 2,
        "vocab_size": 60,
        "dropout": 0.0,
        "representation_dropout": 0.0,
        "num_labels": 3,
    }
    return hf_ssl.ElmoConfig(**{**fields, **overrides})


def make(model_class, seed: int = 0, **overrides):
    torch.manual_seed(seed)
    return model_class(tiny_config(**overrides))


def main_output(output) -> torch.Tensor:
    for key in ("logits", "forward_logits", "last_hidden_state"):
        if output.get(key) is not None:
            return output[key]
    raise AssertionError(list(output.keys()))


# --- parity with the reference -------------------------------------------------------------------


@pytest.fixture(scope="session")
def reference_fixtures(tmp_path_factory) -> Path:
    pytest.importorskip("h5py", reason="h5py (the 'elmo' extra) reads the reference hdf5 files")
    cache = Path(os.environ.get("HF_SSL_CACHE", Path.home() / ".cache" / "hf_ssl")) / "wheels"
    wheels = sorted(cache.glob("allennlp-0.9.0-*.whl"))
    if not wheels:
        cache.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", WHEEL, "-d", str(cache)],
            capture_output=True,
            text=True,
        )
        wheels = sorted(cache.glob("allennlp-0.9.0-*.whl"))
        if result.returncode != 0 or not wheels:
            pytest.skip(f"the {WHEEL} wheel (tiny ELMo + expected activations) could not be downloaded")
    target = tmp_path_factory.mktemp("allennlp_elmo")
    with zipfile.ZipFile(wheels[0]) as wheel:
        for name in wheel.namelist():
            if name.startswith(FIXTURES) and not name.endswith("/"):
                wheel.extract(name, target)
    return target / FIXTURES


def _expected_top_layers(fixtures: Path) -> list[list[np.ndarray]]:
    """[batch row k][batch i] -> (n words, 2P): bilm-tf's top layer, forward then backward."""
    import h5py

    expected = []
    for k in range(3):
        with h5py.File(fixtures / f"lm_embeddings_{k}.hdf5", "r") as handle:
            expected.append([np.concatenate([handle[str(i)][0], handle[str(i)][1]], -1) for i in range(10)])
    return expected


@torch.no_grad()
def test_from_bilm_tf_reproduces_the_reference_top_layer_with_states_carried_across_batches(
    reference_fixtures,
):
    model = hf_ssl.ElmoModel.from_bilm_tf(
        reference_fixtures / "options.json", reference_fixtures / "lm_weights.hdf5"
    )
    sentences = json.loads((reference_fixtures / "sentences.json").read_text())
    expected = _expected_top_layers(reference_fixtures)
    states, stateless_gap = None, 0.0
    # The reference ran 10 batches of 3 (row k of batch i is sentences[k][i]) with stateful LSTMs.
    for i in range(10):
        batch = [sentences[k][i].split() for k in range(3)]
        out = model(batch_to_char_ids(batch), lstm_states=states)
        fresh = model(batch_to_char_ids(batch))
        states = out.lstm_states
        for k, words in enumerate(batch):
            assert int(out.last_hidden_state[k].abs().sum(-1).gt(0).sum()) == len(words)
            actual = out.last_hidden_state[k, : len(words)].numpy()
            np.testing.assert_allclose(actual, expected[k][i], atol=1e-5, rtol=0)
            stateless_gap = max(
                stateless_gap,
                float(np.abs(fresh.last_hidden_state[k, : len(words)].numpy() - expected[k][i]).max()),
            )
    assert stateless_gap > 1e-4  # the carried state matters: starting from zeros does not match


@torch.no_grad()
def test_from_bilm_tf_reproduces_the_reference_context_free_token_embeddings(reference_fixtures):
    import h5py

    model = hf_ssl.ElmoModel.from_bilm_tf(
        reference_fixtures / "options.json", reference_fixtures / "lm_weights.hdf5"
    )
    words = [w for w in (reference_fixtures / "vocab_test.txt").read_text().split("\n") if w]
    with h5py.File(reference_fixtures / "elmo_token_embeddings.hdf5", "r") as handle:
        expected = handle["embedding"][...]
    layer0 = model(batch_to_char_ids([words])).hidden_states[0][0]  # (t, 2P): [x; x]
    projection = model.config.projection_dim
    torch.testing.assert_close(layer0[:, :projection], layer0[:, projection:])
    np.testing.assert_allclose(layer0[:, :projection].numpy(), expected[: len(words)], atol=1e-5, rtol=0)


def test_from_bilm_tf_builds_task_heads_with_the_loaded_bilm(reference_fixtures):
    options, weights = reference_fixtures / "options.json", reference_fixtures / "lm_weights.hdf5"
    base = hf_ssl.ElmoModel.from_bilm_tf(options, weights)
    tagger = hf_ssl.ElmoForTokenClassification.from_bilm_tf(options, weights, num_labels=5)
    assert tagger.config.num_labels == 5 and tagger.config.projection_dim == 16
    for (name, p), (_, q) in zip(
        base.bilm.named_parameters(), tagger.elmo.bilm.named_parameters(), strict=True
    ):
        torch.testing.assert_close(p, q, msg=name)
        assert not q.requires_grad


def test_from_bilm_tf_is_strict_about_the_weight_file(reference_fixtures, tmp_path):
    import shutil

    import h5py

    options = reference_fixtures / "options.json"
    extra = tmp_path / "extra.hdf5"
    shutil.copy(reference_fixtures / "lm_weights.hdf5", extra)
    with h5py.File(extra, "a") as handle:
        handle["softmax/W"] = np.zeros((3, 16), dtype="float32")
    with pytest.raises(ValueError, match="softmax/W"):
        hf_ssl.ElmoModel.from_bilm_tf(options, extra)
    with pytest.raises(ValueError, match="CNN_high_2/W_transform"):
        hf_ssl.ElmoModel.from_bilm_tf(options, reference_fixtures / "lm_weights.hdf5", n_highway=3)


# --- the model on tiny random weights -------------------------------------------------------------


@pytest.mark.parametrize("auto_class, model_class", HEADS, ids=[h[1].__name__ for h in HEADS])
@torch.no_grad()
def test_save_then_load_through_the_auto_class_gives_identical_outputs(auto_class, model_class, tmp_path):
    model = make(model_class).eval()
    inputs = {"input_ids": batch_to_char_ids(SENTENCES)}
    model.save_pretrained(tmp_path)
    assert type(AutoConfig.from_pretrained(tmp_path)) is hf_ssl.ElmoConfig
    loaded, info = auto_class.from_pretrained(tmp_path, output_loading_info=True)
    assert type(loaded) is model_class
    assert not info["missing_keys"] and not info["unexpected_keys"] and not info["mismatched_keys"]
    torch.testing.assert_close(
        main_output(loaded.eval()(**inputs)), main_output(model(**inputs)), rtol=0, atol=0
    )


@pytest.mark.parametrize("model_class", [h[1] for h in HEADS], ids=[h[1].__name__ for h in HEADS])
@torch.no_grad()
def test_padded_batch_equals_each_row_run_alone(model_class):
    model = make(model_class).eval()
    ids = batch_to_char_ids(SENTENCES)
    mask = (ids > 0).any(-1).long()
    batched = main_output(model(input_ids=ids, attention_mask=mask))
    for row, words in enumerate(SENTENCES):
        alone = main_output(model(input_ids=batch_to_char_ids([words])))
        if model_class is hf_ssl.ElmoForSequenceClassification:
            expected = batched[row : row + 1]
        else:  # token level; pretraining logits cover <S> and </S> too
            extra = 2 if model_class is hf_ssl.ElmoForPreTraining else 0
            expected = batched[row : row + 1, : len(words) + extra]
        torch.testing.assert_close(alone, expected, atol=1e-5, rtol=1e-5)


@torch.no_grad()
def test_layers_are_token_embedding_twice_then_lstm_states_and_the_initial_mix_is_their_mean():
    model = make(hf_ssl.ElmoModel, num_output_representations=2).eval()
    ids = batch_to_char_ids(SENTENCES)
    out = model(input_ids=ids)
    layers = out.hidden_states
    assert len(layers) == 3 and all(layer.shape == (3, 7, 32) for layer in layers)
    torch.testing.assert_close(layers[0][..., :16], layers[0][..., 16:])
    tokens = model.bilm.token_encoder(ids)  # (b, t, P): context-free, no boundaries needed
    mask = (ids > 0).any(-1)
    torch.testing.assert_close(layers[0][..., :16][mask], tokens[mask])
    torch.testing.assert_close(out.last_hidden_state, layers[-1])
    assert len(out.elmo_representations) == 2
    torch.testing.assert_close(out.elmo_representations[0], torch.stack(layers).mean(0))
    for layer in (*layers, *out.elmo_representations):
        assert torch.all(layer[~mask] == 0)  # padding words (and the stripped </S>) are zero


@torch.no_grad()
def test_pretraining_loss_is_the_mean_of_the_forward_and_backward_losses_with_one_softmax():
    model = make(hf_ssl.ElmoForPreTraining).eval()
    vocab = build_word_vocab(SENTENCES)
    batch = CharLMCollator(vocab)([" ".join(s) for s in SENTENCES])
    out = model(**batch)
    assert out.forward_logits.shape == (3, 9, 60)
    fwd = torch.nn.functional.cross_entropy(out.forward_logits.transpose(1, 2), batch["forward_labels"])
    bwd = torch.nn.functional.cross_entropy(out.backward_logits.transpose(1, 2), batch["backward_labels"])
    torch.testing.assert_close(out.forward_loss, fwd)
    torch.testing.assert_close(out.loss, (fwd + bwd) / 2)
    top = out.hidden_states[-1]
    torch.testing.assert_close(out.backward_logits, model.softmax(top[..., 16:]))
    with pytest.raises(ValueError, match="one label per position"):
        model(
            input_ids=batch["input_ids"],
            forward_labels=batch["forward_labels"][:, 1:],
            backward_labels=batch["backward_labels"][:, 1:],
        )


def test_inputs_are_validated_with_the_bad_value_named():
    model = make(hf_ssl.ElmoModel).eval()
    ids = batch_to_char_ids(SENTENCES)
    with pytest.raises(ValueError, match="expected character ids"):
        model(input_ids=ids[..., :10])
    with pytest.raises(ValueError, match="contains 262"):
        model(input_ids=ids.clamp(max=262) + (ids == 261).long())
    left_padded = torch.ones(3, 7, dtype=torch.long)
    left_padded[2, 0] = 0
    with pytest.raises(ValueError, match="right-padded"):
        model(input_ids=ids, attention_mask=left_padded)


def _train(model, features, collator, tmp_path, steps: int, lr: float) -> Trainer:
    args = TrainingArguments(
        output_dir=str(tmp_path),
        per_device_train_batch_size=4,
        max_steps=steps,
        learning_rate=lr,
        logging_steps=1,
        report_to=[],
        save_strategy="no",
        use_cpu=True,
        seed=0,
        disable_tqdm=True,
        remove_unused_columns=False,
    )
    trainer = Trainer(model=model, args=args, train_dataset=features, data_collator=collator)
    trainer.train()
    return trainer


def test_trainer_pretrains_with_the_collator_and_the_loss_decreases(tmp_path):
    texts = ["the cat sat on the mat", "the dog sat on the rug", "a cat ran", "a dog ran"]
    vocab = build_word_vocab(t.split() for t in texts)
    model = make(hf_ssl.ElmoForPreTraining, vocab_size=len(vocab))
    trainer = _train(model, texts, CharLMCollator(vocab), tmp_path, steps=12, lr=1e-2)
    losses = [log["loss"] for log in trainer.state.log_history if "loss" in log]
    assert len(losses) == 12 and all(np.isfinite(losses))
    assert losses[-1] < 0.8 * losses[0]


def _tagging_features(collator_vocab: dict) -> tuple[list[dict], object]:
    sentences = [["the", "cat", "sat"], ["a", "dog"], ["the", "dog", "ran", "far"], ["cats", "sat"]]
    features = [{"words": s, "labels": [len(w) % 3 for w in s]} for s in sentences]

    def collate(batch: list[dict]) -> dict:
        ids = batch_to_char_ids([f["words"] for f in batch])
        labels = torch.full(ids.shape[:2], IGNORE_INDEX)
        for row, f in enumerate(batch):
            labels[row, : len(f["labels"])] = torch.tensor(f["labels"])
        return {"input_ids": ids, "attention_mask": (ids > 0).any(-1).long(), "labels": labels}

    return features, collate


def test_frozen_bilm_stays_fixed_while_the_mix_and_the_tagger_learn(tmp_path):
    make(hf_ssl.ElmoForTokenClassification).save_pretrained(tmp_path / "ckpt")
    model = AutoModelForTokenClassification.from_pretrained(tmp_path / "ckpt")
    assert model.config.freeze_bilm
    assert not any(p.requires_grad for p in model.elmo.bilm.parameters())  # survives from_pretrained
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    features, collate = _tagging_features({})
    trainer = _train(model, features, collate, tmp_path / "run", steps=3, lr=5e-2)
    assert all(np.isfinite(log["loss"]) for log in trainer.state.log_history if "loss" in log)
    changed = {n for n, p in model.named_parameters() if not torch.equal(p.detach(), before[n])}
    assert changed == {
        "elmo.scalar_mixes.0.weights",
        "elmo.scalar_mixes.0.gamma",
        "classifier.weight",
        "classifier.bias",
    }
    assert not model.train().elmo.bilm.training  # no biLM dropout while frozen


def test_unfrozen_bilm_is_fine_tuned_too():
    model = make(hf_ssl.ElmoForSequenceClassification, freeze_bilm=False, scalar_mix_l2_coef=0.1).train()
    ids = batch_to_char_ids(SENTENCES)
    out = model(input_ids=ids, labels=torch.tensor([0, 1, 2]))
    out.loss.backward()
    without_grad = [n for n, p in model.named_parameters() if p.grad is None]
    assert not without_grad, without_grad
    plain = torch.nn.functional.cross_entropy(out.logits, torch.tensor([0, 1, 2]))
    torch.testing.assert_close(out.loss, plain + 0.1 * model.elmo.scalar_mixes[0].weights.pow(2).sum())
