"""MLM training computes the last layer only at the masked positions: the same loss, logits and gradients."""

from __future__ import annotations

import pytest
import torch

import hf_ssl
from hf_ssl.layers.transformer import TransformerLayer

TINY = {
    "vocab_size": 300,
    "hidden_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "intermediate_size": 64,
    "max_position_embeddings": 64,
    "hidden_dropout_prob": 0.0,
    "attention_probs_dropout_prob": 0.0,
}
FAMILIES = {
    "bert": (hf_ssl.BertForMaskedLM, hf_ssl.BertConfig, {}),
    "roberta": (hf_ssl.RobertaForMaskedLM, hf_ssl.RobertaConfig, {}),
    "albert": (hf_ssl.AlbertForMaskedLM, hf_ssl.AlbertConfig, {"embedding_size": 16}),
    "electra": (hf_ssl.ElectraForMaskedLM, hf_ssl.ElectraConfig, {"embedding_size": 16}),
}


def _batch(layout: str, position_offset: int) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    ids = torch.randint(5, 300, (3, 16), generator=g)
    mask = torch.ones_like(ids)
    if layout == "padded":
        mask[1, 10:] = 0
        mask[2, 5:] = 0
    selected = (torch.rand(ids.shape, generator=g) < 0.3) & mask.bool()
    batch = {"input_ids": ids, "attention_mask": mask, "labels": ids.masked_fill(~selected, -100)}
    if layout == "packed":  # two documents a row: block-diagonal attention
        batch["position_ids"] = torch.tensor([list(range(8)) * 2] * 3) + position_offset
    return batch


@pytest.mark.parametrize("layout", ["fixed", "padded", "packed"])
@pytest.mark.parametrize("attn", ["sdpa", "eager"])
@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_sparse_last_layer_gives_the_full_loss_logits_and_gradients(family, attn, layout, monkeypatch):
    model_class, config_class, extra = FAMILIES[family]
    torch.manual_seed(0)
    model = model_class(config_class(**TINY, **extra)).train()
    model.set_attn_implementation(attn)
    batch = _batch(layout, position_offset=2 if family == "roberta" else 0)

    calls = []
    forward_at = TransformerLayer._forward_at
    monkeypatch.setattr(
        TransformerLayer, "_forward_at", lambda self, *a: calls.append(a[2].shape) or forward_at(self, *a)
    )
    sparse = model(**batch)
    sparse.loss.backward()
    sparse_grads = [p.grad.clone() for p in model.parameters()]
    model.zero_grad()
    full = model(**batch, output_hidden_states=True)  # asks for every hidden state: the full path
    full.loss.backward()

    masked = int(batch["labels"].ne(-100).sum(1).max())
    assert calls == [(3, masked)]  # the sparse path ran once, on the last layer, for the masked queries
    assert sparse.logits.shape == full.logits.shape == (int(batch["labels"].ne(-100).sum()), 300)
    torch.testing.assert_close(sparse.loss, full.loss, atol=1e-6, rtol=1e-6)
    torch.testing.assert_close(sparse.logits, full.logits, atol=1e-5, rtol=1e-5)
    for sparse_grad, parameter in zip(sparse_grads, model.parameters(), strict=True):
        torch.testing.assert_close(sparse_grad, parameter.grad, atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("cls_masked", [False, True])
@pytest.mark.parametrize("family", ["bert", "albert"])
def test_pretraining_heads_read_cls_and_the_masked_positions_of_the_sparse_last_layer(
    family, cls_masked, monkeypatch
):
    """MLM + NSP (BERT) or SOP (ALBERT): the pooler's [CLS] state comes out of the sparse last layer too."""
    calls = []
    forward_at = TransformerLayer._forward_at
    monkeypatch.setattr(
        TransformerLayer, "_forward_at", lambda self, *a: calls.append(a[2].shape) or forward_at(self, *a)
    )
    model_class, config_class, pair_key = {
        "bert": (hf_ssl.BertForPreTraining, hf_ssl.BertConfig, "next_sentence_label"),
        "albert": (hf_ssl.AlbertForPreTraining, hf_ssl.AlbertConfig, "sentence_order_label"),
    }[family]
    torch.manual_seed(0)
    model = model_class(config_class(**TINY, **FAMILIES[family][2])).train()
    batch = _batch("padded", 0)
    if cls_masked:  # position 0 both masked and pooled
        batch["labels"][:, 0] = batch["input_ids"][:, 0]
    batch[pair_key] = torch.tensor([0, 1, 1])
    sparse = model(**batch)
    sparse.loss.backward()
    sparse_grads = [p.grad.clone() for p in model.parameters()]
    model.zero_grad()
    full = model(**batch, output_hidden_states=True)
    full.loss.backward()
    wanted = batch["labels"].ne(-100)
    wanted[:, 0] = True
    assert calls == [(3, int(wanted.sum(1).max()))]
    torch.testing.assert_close(sparse.prediction_logits, full.prediction_logits, atol=1e-5, rtol=1e-5)
    pair = "sop_logits" if isinstance(model, hf_ssl.AlbertForPreTraining) else "seq_relationship_logits"
    torch.testing.assert_close(sparse[pair], full[pair], atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(sparse.loss, full.loss, atol=1e-6, rtol=1e-6)
    for sparse_grad, parameter in zip(sparse_grads, model.parameters(), strict=True):
        torch.testing.assert_close(sparse_grad, parameter.grad, atol=1e-6, rtol=1e-5)


def test_eval_mode_and_unlabelled_batches_keep_the_full_path():
    torch.manual_seed(0)
    model = hf_ssl.BertForMaskedLM(hf_ssl.BertConfig(**TINY))
    batch = _batch("fixed", 0)
    assert model.eval()(**batch).logits.shape == (3, 16, 300)  # fill-mask and evaluation: every position
    nothing = {**batch, "labels": torch.full_like(batch["labels"], -100)}
    assert model.train()(**nothing).logits.shape == (0, 300)
    with pytest.raises(ValueError, match=r"labels has shape \(3, 15\); expected \(3, 16\)"):
        model(**{**batch, "labels": batch["labels"][:, :15]})
