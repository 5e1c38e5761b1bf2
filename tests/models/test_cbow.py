"""CBOW models: Auto round trip, static outputs, both losses against hand-computed references,
Trainer training that learns topical neighbours, and input errors."""

from __future__ import annotations

import pytest
import torch
from torch.nn import functional as F
from transformers import AutoConfig, AutoModel, AutoModelForPreTraining, Trainer, TrainingArguments

import hf_ssl
from hf_ssl.analysis import nearest_neighbours

VOCAB, DIM, WINDOW, NEGATIVES = 30, 16, 2, 4


def tiny(loss: str = "negative_sampling", seed: int = 0) -> hf_ssl.CBOWForPreTraining:
    torch.manual_seed(seed)
    config = hf_ssl.CBOWConfig(
        vocab_size=VOCAB, embedding_size=DIM, window=WINDOW, num_negatives=NEGATIVES, loss=loss
    )
    model = hf_ssl.CBOWForPreTraining(config)
    with torch.no_grad():  # word2vec starts the output vectors at zero; tests want non-trivial logits
        model.output_vectors.weight.normal_(0, 0.5)
    return model


def batch(seed: int = 0, rows: int = 6) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(1, VOCAB, (rows, 2 * WINDOW), generator=g)
    mask = torch.ones_like(ids)
    mask[0, :2] = 0  # a centre at a document's start
    mask[1, -1] = 0
    ids[mask == 0] = 0
    return {
        "input_ids": ids,
        "attention_mask": mask,
        "labels": torch.randint(1, VOCAB, (rows,), generator=g),
        "negative_ids": torch.randint(1, VOCAB, (rows, NEGATIVES), generator=g),
    }


@pytest.mark.parametrize("model_class", [hf_ssl.CBOWModel, hf_ssl.CBOWForPreTraining])
def test_save_then_load_through_auto_classes_gives_the_same_class_and_weights(model_class, tmp_path):
    model = model_class(tiny().config)
    model.save_pretrained(tmp_path)
    assert type(AutoConfig.from_pretrained(tmp_path)) is hf_ssl.CBOWConfig
    auto = AutoModel if model_class is hf_ssl.CBOWModel else AutoModelForPreTraining
    loaded, info = auto.from_pretrained(tmp_path, output_loading_info=True)
    assert type(loaded) is model_class
    assert not info["missing_keys"] and not info["unexpected_keys"]
    for (name, p), (_, q) in zip(model.state_dict().items(), loaded.state_dict().items(), strict=True):
        torch.testing.assert_close(q, p, rtol=0, atol=0, msg=name)


def test_initialisation_follows_word2vec():
    model = hf_ssl.CBOWForPreTraining(hf_ssl.CBOWConfig(vocab_size=VOCAB, embedding_size=DIM))
    vectors = model.cbow.embeddings.weight
    assert vectors.abs().max() <= 0.5 / DIM and vectors[1:].abs().max() > 0.25 / DIM
    assert vectors[0].abs().max() == 0  # the padding vector
    assert model.output_vectors.weight.abs().max() == 0


@torch.no_grad()
def test_static_model_gives_each_token_its_vector_whatever_the_context_or_padding():
    model = hf_ssl.CBOWModel(tiny().config).eval()
    ids = torch.tensor([[5, 6, 7, 0, 0], [9, 6, 2, 3, 4]])
    mask = (ids != 0).long()
    out = model(input_ids=ids, attention_mask=mask).last_hidden_state
    assert out.shape == (2, 5, DIM)
    torch.testing.assert_close(out[0, 1], out[1, 1], rtol=0, atol=0)  # token 6 in two contexts
    alone = model(input_ids=ids[:1, :3]).last_hidden_state
    torch.testing.assert_close(alone, out[:1, :3], rtol=0, atol=0)
    torch.testing.assert_close(out[0, 0], model.embeddings.weight[5], rtol=0, atol=0)


@torch.no_grad()
def test_negative_sampling_loss_matches_the_formula_with_masked_context_slots_ignored():
    model = tiny().eval()
    inputs = batch()
    out = model(**inputs)
    vectors = model.cbow.embeddings.weight
    outputs = model.output_vectors.weight
    expected = []
    for row in range(inputs["labels"].shape[0]):
        present = inputs["input_ids"][row][inputs["attention_mask"][row].bool()]
        h = vectors[present].mean(0)
        positive = F.logsigmoid(outputs[inputs["labels"][row]] @ h)
        negative = F.logsigmoid(-(outputs[inputs["negative_ids"][row]] @ h)).sum()
        expected.append(-(positive + negative))
    torch.testing.assert_close(out.loss, torch.stack(expected).mean(), rtol=1e-5, atol=1e-6)
    assert out.logits.shape == (6, 1 + NEGATIVES)
    assert out.context_vectors.shape == (6, DIM)


@torch.no_grad()
def test_softmax_loss_is_cross_entropy_over_the_whole_vocabulary():
    model = tiny("softmax").eval()
    inputs = batch()
    out = model(**{k: v for k, v in inputs.items() if k != "negative_ids"})
    assert out.logits.shape == (6, VOCAB)
    expected = F.cross_entropy(out.context_vectors @ model.output_vectors.weight.T, inputs["labels"])
    torch.testing.assert_close(out.loss, expected, rtol=1e-5, atol=1e-6)


@torch.no_grad()
def test_a_row_labelled_minus_100_does_not_count():
    model = tiny().eval()
    inputs = batch()
    skipped = dict(inputs, labels=inputs["labels"].clone())
    skipped["labels"][0] = -100
    rest = {k: v[1:] for k, v in inputs.items()}
    torch.testing.assert_close(model(**skipped).loss, model(**rest).loss, rtol=1e-6, atol=1e-7)


def topical_documents(count: int, seed: int = 0) -> list[list[int]]:
    """Sentences drawn from one of two disjoint word groups: 5..16 or 17..28."""
    g = torch.Generator().manual_seed(seed)
    documents = []
    for i in range(count):
        low = 5 if i % 2 == 0 else 17
        documents.append(torch.randint(low, low + 12, (8,), generator=g).tolist())
    return documents


@pytest.mark.parametrize("loss", ["negative_sampling", "softmax"])
def test_trainer_lowers_the_loss_and_neighbours_come_from_the_same_topic(loss, tmp_path):
    documents = topical_documents(64)
    collator = hf_ssl.CBOWCollator(
        counts=hf_ssl.objectives.cbow.count_tokens(documents, VOCAB),
        window=WINDOW,
        num_negatives=NEGATIVES if loss == "negative_sampling" else 0,
        special_token_ids=(1, 2, 3, 4),
        seed=0,
    )
    torch.manual_seed(0)
    model = hf_ssl.CBOWForPreTraining(
        hf_ssl.CBOWConfig(
            vocab_size=VOCAB,
            embedding_size=DIM,
            window=WINDOW,
            num_negatives=NEGATIVES if loss == "negative_sampling" else 0,
            loss=loss,
        )
    )
    args = TrainingArguments(
        output_dir=str(tmp_path),
        per_device_train_batch_size=8,
        num_train_epochs=6,
        learning_rate=0.05,
        logging_steps=8,
        report_to=[],
        save_strategy="no",
        use_cpu=True,
        seed=0,
        disable_tqdm=True,
        remove_unused_columns=False,
    )
    trainer = Trainer(model=model, args=args, train_dataset=documents, data_collator=collator)
    trainer.train()
    losses = [log["loss"] for log in trainer.state.log_history if "loss" in log]
    assert all(torch.isfinite(torch.tensor(losses)))
    assert losses[-1] < 0.8 * losses[0], losses
    same_topic = 0
    for word in range(5, 29):
        group = (word - 5) // 12
        neighbours = nearest_neighbours(model.cbow, word, k=3, exclude=[*list(range(5)), 29])
        same_topic += sum((n - 5) // 12 == group for n, _ in neighbours)
    assert same_topic >= 0.9 * 24 * 3, same_topic


def test_bad_inputs_and_configs_raise_with_the_value():
    with pytest.raises(ValueError, match="loss='ranking'"):
        hf_ssl.CBOWConfig(loss="ranking")
    with pytest.raises(ValueError, match="num_negatives > 0"):
        hf_ssl.CBOWConfig(num_negatives=0)
    with pytest.raises(ValueError, match="pad_token_id=40"):
        hf_ssl.CBOWConfig(vocab_size=VOCAB, pad_token_id=40)
    model = tiny()
    inputs = batch()
    with pytest.raises(ValueError, match="needs negative_ids"):
        model(input_ids=inputs["input_ids"], labels=inputs["labels"])
    with pytest.raises(ValueError, match="expected \\(batch, context\\)"):
        model(input_ids=inputs["input_ids"][0])
    with pytest.raises(ValueError, match="vocab_size=30"):
        model(input_ids=inputs["input_ids"] + VOCAB - 1)
    with pytest.raises(ValueError, match="attention_mask has shape"):
        model(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"][:, :2])


@pytest.mark.parametrize("loss", ["negative_sampling", "softmax"])
@torch.no_grad()
def test_micro_batches_normalised_by_num_items_in_batch_add_up_to_the_whole_batch_loss(loss):
    """What Trainer relies on under gradient accumulation (it passes num_items_in_batch)."""
    model = tiny(loss).eval()
    inputs = batch(rows=6)
    if loss == "softmax":
        del inputs["negative_ids"]
    whole = model(**inputs).loss
    halves = [
        model(**{k: v[s] for k, v in inputs.items()}, num_items_in_batch=6).loss
        for s in (slice(0, 2), slice(2, 6))
    ]
    torch.testing.assert_close(sum(halves), whole)
