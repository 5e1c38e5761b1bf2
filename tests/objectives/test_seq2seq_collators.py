"""What the four sequence-to-sequence collators share: DataLoader use, worker reseeding, key sets."""

from __future__ import annotations

import pytest
import torch

import hf_ssl

BOS, PAD, EOS, MASK = 0, 1, 2, 3
DOCUMENTS = [{"input_ids": [BOS, *range(10 + i, 60 + 3 * i), EOS]} for i in range(6)]

COLLATORS = {
    "denoising": lambda seed: hf_ssl.DenoisingCollator(vocab_size=200, mask_token_id=MASK, seed=seed),
    "span_corruption": lambda seed: hf_ssl.SpanCorruptionCollator(
        inputs_length=32, vocab_size=200, seed=seed
    ),
    "masked_seq2seq": lambda seed: hf_ssl.MaskedSeq2SeqCollator(
        vocab_size=200, mask_token_id=MASK, pad_token_id=PAD, special_token_ids=(BOS, EOS), seed=seed
    ),
    "prefix_lm": lambda seed: hf_ssl.PrefixLMCollator(pad_token_id=PAD, eos_token_id=EOS, seed=seed),
}
ENCODER_DECODER_KEYS = {
    "input_ids",
    "attention_mask",
    "labels",
    "decoder_input_ids",
    "decoder_attention_mask",
}
KEYS = {
    "denoising": ENCODER_DECODER_KEYS,
    "span_corruption": ENCODER_DECODER_KEYS,
    "masked_seq2seq": ENCODER_DECODER_KEYS | {"decoder_position_ids"},
    "prefix_lm": {"input_ids", "attention_mask", "prefix_lengths", "labels"},
}


@pytest.mark.parametrize("name", sorted(COLLATORS))
def test_collator_works_as_a_dataloader_collate_fn_and_returns_long_tensors(name):
    loader = torch.utils.data.DataLoader(DOCUMENTS, batch_size=3, collate_fn=COLLATORS[name](0))
    batches = list(loader)
    assert len(batches) == 2
    for batch in batches:
        assert set(batch) == KEYS[name]
        assert all(value.dtype == torch.long for value in batch.values())
        assert (batch["labels"] != -100).any()


@pytest.mark.parametrize("name", sorted(COLLATORS))
def test_dataloader_workers_reseed_so_they_do_not_repeat_each_other(name, monkeypatch):
    outputs = []
    for worker_seed in (100, 101):
        collator = COLLATORS[name](0)
        info = type("WorkerInfo", (), {"seed": worker_seed, "id": worker_seed - 100})()
        monkeypatch.setattr(torch.utils.data, "get_worker_info", lambda info=info: info)
        outputs.append(collator(DOCUMENTS))
    assert any(not torch.equal(outputs[0][key], outputs[1][key]) for key in outputs[0])


@pytest.mark.parametrize("name", sorted(COLLATORS))
def test_unseeded_collators_draw_different_noise(name):
    first, second = COLLATORS[name](None)(DOCUMENTS), COLLATORS[name](None)(DOCUMENTS)
    assert any(not torch.equal(first[key], second[key]) for key in first)
