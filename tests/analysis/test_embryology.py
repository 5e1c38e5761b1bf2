"""Embryology: frequency bands, per-group masked-token accuracy, and the Trainer callback."""

from __future__ import annotations

import pytest
import torch
from transformers import Trainer, TrainingArguments

import hf_ssl
from hf_ssl.analysis import MaskedTokenAccuracyCallback, frequency_bands, grouped_accuracy
from hf_ssl.objectives import MaskedLMCollator


def test_frequency_bands_split_the_token_mass_into_equal_parts():
    # id 5 alone is half the text; ids 6-7 a quarter; the rest a quarter.
    counts = {5: 500, 6: 130, 7: 120, **{i: 25 for i in range(8, 18)}}
    bands, names = frequency_bands(counts, vocab_size=20)
    assert names == ["rare", "middle", "frequent"]
    assert bands[5] == 2 and bands[0] == 0 and bands[19] == 0  # unseen ids are rare
    assert set(bands[8:18].tolist()) <= {0, 1}
    with pytest.raises(ValueError, match="counts cover 0 tokens"):
        frequency_bands({}, vocab_size=4)


def test_grouped_accuracy_counts_only_masked_positions_per_group():
    labels = torch.tensor([[-100, 3, 4, -100], [2, -100, 3, 1]])
    logits = torch.nn.functional.one_hot(torch.tensor([[0, 3, 0, 0], [2, 0, 1, 1]]), 5).float()
    groups = torch.tensor([0, 0, 1, 1, 0])  # by token id: ids 2 and 3 form group 1
    scores = grouped_accuracy(logits, labels, groups, ["a", "b"])
    assert scores["accuracy"] == pytest.approx(3 / 5)  # right at 3, 2, 1; wrong at 4 and the second 3
    assert scores["accuracy_b"] == pytest.approx(2 / 3) and scores["accuracy_a"] == pytest.approx(1 / 2)
    with pytest.raises(ValueError, match="no labelled"):
        grouped_accuracy(logits, torch.full_like(labels, -100), groups, ["a", "b"])


def test_callback_records_grouped_accuracy_during_a_trainer_run(tmp_path):
    torch.manual_seed(0)
    vocab = 60
    config = hf_ssl.BertConfig(
        vocab_size=vocab, hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64
    )
    model = hf_ssl.BertForMaskedLM(config)
    collator = MaskedLMCollator(
        vocab_size=vocab, mask_token_id=4, pad_token_id=0, special_token_ids=(1, 2, 3), seed=0
    )
    g = torch.Generator().manual_seed(0)
    rows = [{"input_ids": torch.randint(5, vocab, (12,), generator=g).tolist()} for _ in range(16)]
    probe = collator(rows[:4])
    bands, names = frequency_bands([t for row in rows for t in row["input_ids"]], vocab)
    callback = MaskedTokenAccuracyCallback(probe, bands, names, every=2)
    args = TrainingArguments(
        str(tmp_path),
        max_steps=4,
        per_device_train_batch_size=4,
        report_to=[],
        save_strategy="no",
        use_cpu=True,
    )
    trainer = Trainer(
        model=model, args=args, train_dataset=rows, data_collator=collator, callbacks=[callback]
    )
    trainer.train()
    assert [r["step"] for r in callback.history] == [0.0, 2.0, 4.0]
    assert all(0.0 <= r["accuracy"] <= 1.0 for r in callback.history)
    assert sum("accuracy" in e for e in trainer.state.log_history) >= 3
    assert model.training  # measuring puts the model back in training mode
