"""Packing: padded batches laid end to end give the same per-token outputs and losses as padding."""

from __future__ import annotations

import pytest
import torch

import hf_ssl
from hf_ssl.constants import IGNORE_INDEX
from hf_ssl.objectives import MaskedLMCollator, PackingCollator, pack_batch, pack_seq2seq_batch

VOCAB = 128


def _documents(seed=0, count=7):
    g = torch.Generator().manual_seed(seed)
    return [
        torch.randint(5, VOCAB, (int(torch.randint(3, 20, (), generator=g)),), generator=g).tolist()
        for _ in range(count)
    ]


def test_rows_are_filled_first_fit_with_positions_restarting_per_document():
    batch = {
        "input_ids": torch.tensor([[5, 6, 7, 0], [8, 9, 0, 0], [10, 11, 12, 13]]),
        "attention_mask": torch.tensor([[1, 1, 1, 0], [1, 1, 0, 0], [1, 1, 1, 1]]),
    }
    out = pack_batch(batch, 6, pad_token_id=0)
    assert out["input_ids"].tolist() == [[5, 6, 7, 8, 9, 0], [10, 11, 12, 13, 0, 0]]
    assert out["position_ids"].tolist() == [[0, 1, 2, 0, 1, 2], [0, 1, 2, 3, 4, 5]]
    assert out["attention_mask"].tolist() == [[1, 1, 1, 1, 1, 0], [1, 1, 1, 1, 0, 0]]


def test_an_empty_document_takes_no_column_and_restarts_the_tail_positions():
    batch = {
        "input_ids": torch.tensor([[5, 6, 7], [0, 0, 0], [8, 9, 0], [0, 0, 0]]),
        "attention_mask": torch.tensor([[1, 1, 1], [0, 0, 0], [1, 1, 0], [0, 0, 0]]),
        "labels": torch.tensor([[5, -100, 7], [-100] * 3, [8, 9, -100], [-100] * 3]),
    }
    out = pack_batch(batch, 5, pad_token_id=0, position_offset=2)
    assert out["input_ids"].tolist() == [[5, 6, 7, 8, 9]]  # the empty ones end up at column 3 and 5
    assert out["labels"].tolist() == [[5, IGNORE_INDEX, 7, 8, 9]]
    assert out["position_ids"].tolist() == [[2, 3, 4, 2, 3]]
    assert out["attention_mask"].tolist() == [[1, 1, 1, 1, 1]]
    out = pack_batch(batch, 6, pad_token_id=0)  # the tail after an empty last document restarts at 0
    assert out["position_ids"].tolist() == [[0, 1, 2, 0, 1, 0]]
    assert out["attention_mask"].tolist() == [[1, 1, 1, 1, 1, 0]]
    nothing = pack_batch({key: batch[key][:0] for key in batch}, 6, pad_token_id=0)  # no rows: no rows
    assert {key: tuple(value.shape) for key, value in nothing.items()} == {
        key: (0, 6) for key in ("input_ids", "labels", "position_ids", "attention_mask")
    }


def test_per_sequence_keys_and_overlong_rows_are_refused_by_name():
    batch = {
        "input_ids": torch.ones(2, 3, dtype=torch.long),
        "attention_mask": torch.ones(2, 3, dtype=torch.long),
    }
    with pytest.raises(ValueError, match="next_sentence_label"):
        pack_batch({**batch, "next_sentence_label": torch.tensor([0, 1])}, 6, pad_token_id=0)
    with pytest.raises(ValueError, match="3 tokens does not fit row_length=2"):
        pack_batch(batch, 2, pad_token_id=0)


@pytest.mark.parametrize("family", ["bert", "roberta", "electra-generator"])
@torch.no_grad()
def test_packed_mlm_gives_the_padded_loss_and_masked_logits(family):
    torch.manual_seed(0)
    sizes = {
        "vocab_size": VOCAB,
        "hidden_size": 32,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "intermediate_size": 64,
        "hidden_dropout_prob": 0.0,
        "attention_probs_dropout_prob": 0.0,
    }
    if family == "bert":
        model, offset, pad = (
            hf_ssl.BertForMaskedLM(hf_ssl.BertConfig(**sizes, max_position_embeddings=64)),
            0,
            0,
        )
    elif family == "roberta":
        model = hf_ssl.RobertaForMaskedLM(hf_ssl.RobertaConfig(**sizes, max_position_embeddings=66))
        offset, pad = 2, 1
    else:
        model = hf_ssl.ElectraForMaskedLM(
            hf_ssl.ElectraConfig(**sizes, embedding_size=16, max_position_embeddings=64)
        )
        offset, pad = 0, 0
    model.eval()
    mlm = MaskedLMCollator(
        vocab_size=VOCAB, mask_token_id=4, pad_token_id=pad, special_token_ids=(0, 1, 2, 3), seed=0
    )
    padded = mlm(_documents())
    packed = pack_batch(padded, 40, pad_token_id=pad, position_offset=offset)
    assert packed["input_ids"].shape[0] < padded["input_ids"].shape[0]
    a, b = model(**padded), model(**packed)
    torch.testing.assert_close(b.loss, a.loss, atol=1e-5, rtol=1e-5)

    # Per masked token, the same loss (first fit may reorder the documents, so compare as multisets).
    def token_losses(out, batch):
        keep = batch["labels"] != IGNORE_INDEX
        return torch.nn.functional.cross_entropy(out.logits[keep], batch["labels"][keep], reduction="none")

    torch.testing.assert_close(
        token_losses(b, packed).sort().values, token_losses(a, padded).sort().values, atol=1e-5, rtol=1e-5
    )


@torch.no_grad()
def test_packed_causal_lm_gives_the_padded_loss():
    torch.manual_seed(0)
    model = hf_ssl.GPTLMHeadModel(
        hf_ssl.GPTConfig(
            vocab_size=VOCAB,
            hidden_size=32,
            num_hidden_layers=2,
            num_attention_heads=4,
            intermediate_size=64,
            max_position_embeddings=64,
            bos_token_id=1,
            eos_token_id=2,
        )
    ).eval()
    collator = hf_ssl.CausalLMCollator(pad_token_id=2)
    documents = _documents(seed=1)
    padded = collator(documents)
    packed = PackingCollator(collator, row_length=48, pad_token_id=2)(documents)

    # The packed rows' per-token losses are the padded rows' ones, position for position.
    def token_losses(out, batch):
        logits, labels = out.logits[:, :-1], batch["labels"][:, 1:]
        keep = labels != IGNORE_INDEX
        if "position_ids" in batch:  # a document's first token is not predicted from the previous one
            keep &= batch["position_ids"][:, 1:] != 0
        return torch.nn.functional.cross_entropy(logits[keep], labels[keep], reduction="none")

    expected = token_losses(model(**padded), padded)
    actual = token_losses(model(**packed), packed)
    torch.testing.assert_close(actual.sort().values, expected.sort().values, atol=1e-5, rtol=1e-5)


def test_seq2seq_packing_keeps_pairs_aligned_and_refuses_what_it_cannot_pack():
    from hf_ssl.objectives import DenoisingCollator, Seq2SeqPackingCollator

    collator = DenoisingCollator(vocab_size=60, mask_token_id=4, full_stop_token_id=5, seed=0)
    documents = [[0, *range(6, 6 + n), 5, 2] for n in (10, 3, 6, 2)]
    padded = collator(documents)
    packed = Seq2SeqPackingCollator(collator, 24, 24, pad_token_id=1)(documents)
    assert packed["input_ids"].shape[0] < len(documents)
    # Every labelled token survives, on rows whose document count matches on both sides.
    assert int((packed["labels"] != -100).sum()) == int((padded["labels"] != -100).sum())
    for row in range(packed["input_ids"].shape[0]):
        source_docs = int(((packed["position_ids"][row] == 0) & (packed["attention_mask"][row] == 1)).sum())
        target_docs = int(
            ((packed["decoder_position_ids"][row] == 0) & (packed["decoder_attention_mask"][row] == 1)).sum()
        )
        assert source_docs == target_docs
    with pytest.raises(ValueError, match=r"cannot pack a batch with \['decoder_position_ids'\]"):
        pack_seq2seq_batch({**padded, "decoder_position_ids": padded["labels"]}, 24, 24, pad_token_id=1)
    with pytest.raises(ValueError, match="does not fit a packed row of 8"):
        pack_seq2seq_batch(padded, 8, 24, pad_token_id=1)
