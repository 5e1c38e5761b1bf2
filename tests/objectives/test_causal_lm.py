"""CausalLMCollator: labels, padding when pad == eos, packing without cross-document leakage."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import hf_ssl
from hf_ssl.constants import IGNORE_INDEX
from hf_ssl.objectives import CausalLMCollator

EOS = 2


def test_labels_are_the_inputs_and_padding_is_ignored_even_when_pad_equals_eos():
    out = CausalLMCollator(pad_token_id=EOS)([[5, 6, EOS], [8]])
    assert out["labels"].tolist() == [[5, 6, EOS], [8, IGNORE_INDEX, IGNORE_INDEX]]
    assert out["attention_mask"].tolist() == [[1, 1, 1], [1, 0, 0]]


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.lists(st.integers(3, 99), min_size=1, max_size=30), min_size=1, max_size=8),
    st.integers(2, 24),
)
def test_packed_rows_are_full_restart_positions_per_document_and_never_predict_across(documents, length):
    total = sum(len(d) + 1 for d in documents)
    collator = CausalLMCollator(pad_token_id=0, pack_length=length, eos_token_id=EOS)
    if total < length:
        with pytest.raises(ValueError, match=f"pack_length={length}"):
            collator(documents)
        return
    out = collator(documents)
    ids, positions, labels = out["input_ids"], out["position_ids"], out["labels"]
    assert ids.shape == (total // length, length)
    stream = [t for d in documents for t in [*d, EOS]]
    assert ids.flatten().tolist() == stream[: ids.numel()]
    # Positions count up by one inside a document and restart at 0 where a new one begins.
    steps = positions[:, 1:] - positions[:, :-1]
    assert ((steps == 1) | (positions[:, 1:] == 0)).all() and (positions[:, 0] == 0).all()
    assert torch.equal(labels == IGNORE_INDEX, positions == 0)
    assert torch.equal(labels[labels != IGNORE_INDEX], ids[labels != IGNORE_INDEX])


def test_a_packed_row_gives_each_document_the_logits_it_has_alone():
    torch.manual_seed(0)
    model = hf_ssl.GPTLMHeadModel(
        hf_ssl.GPTConfig(
            vocab_size=100,
            hidden_size=32,
            num_hidden_layers=2,
            num_attention_heads=4,
            intermediate_size=64,
            max_position_embeddings=32,
            bos_token_id=1,
            eos_token_id=EOS,
        )
    ).eval()
    documents = [[5, 6, 7, 8], [9, 10, 11]]
    batch = CausalLMCollator(pad_token_id=0, pack_length=9, eos_token_id=EOS)(documents)
    with torch.no_grad():
        packed = model(batch["input_ids"], position_ids=batch["position_ids"]).logits[0]
        first = model(torch.tensor([[5, 6, 7, 8, EOS]])).logits[0]
        second = model(torch.tensor([[9, 10, 11, EOS]])).logits[0]
    torch.testing.assert_close(packed, torch.cat([first, second]), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"pad_token_id": -1}, "pad_token_id"), ({"pad_token_id": 0, "pack_length": 1}, "pack_length")],
)
def test_bad_settings_raise_naming_the_value(kwargs, message):
    with pytest.raises(ValueError, match=message):
        CausalLMCollator(**kwargs)


def test_empty_inputs_are_refused():
    with pytest.raises(ValueError, match="non-empty"):
        CausalLMCollator(pad_token_id=0)([])
    with pytest.raises(ValueError, match="feature 1 has no tokens"):
        CausalLMCollator(pad_token_id=0)([[5], []])


def test_a_left_padded_attention_mask_is_kept_and_only_real_tokens_get_labels():
    features = [
        {"input_ids": [0, 0, 7, 8], "attention_mask": [0, 0, 1, 1]},  # left-padded by a tokenizer
        {"input_ids": [5, 6, 7, 8], "attention_mask": [1, 1, 1, 1]},
        {"input_ids": [9, 3], "attention_mask": [1, 1]},
    ]
    batch = CausalLMCollator(pad_token_id=0)(features)
    assert batch["attention_mask"].tolist() == [[0, 0, 1, 1], [1, 1, 1, 1], [1, 1, 0, 0]]
    assert batch["labels"].tolist() == [[-100, -100, 7, 8], [5, 6, 7, 8], [9, 3, -100, -100]]


@pytest.mark.parametrize(
    ("mask", "message"),
    [
        ([1, 2, 1], r"attention_mask\[1\] = 2; expected 0 \(padding\) or 1"),
        ([1, -1, 1], r"attention_mask\[1\] = -1"),
        ([1, 1], "2 attention_mask values for 3 input_ids"),
    ],
)
def test_an_attention_mask_of_other_values_or_length_is_refused_naming_it(mask, message):
    with pytest.raises(ValueError, match=message):
        CausalLMCollator(pad_token_id=0)([{"input_ids": [4, 5, 6], "attention_mask": mask}])
