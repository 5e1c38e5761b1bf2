"""PEFT's LoRA on hf_ssl models with no target_modules named: train, save, reload, merge."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

import hf_ssl
from tests.models.tiny import make_inputs, make_model

peft = pytest.importorskip("peft", reason="peft is not installed")

CASES = [
    ("bert", hf_ssl.BertForSequenceClassification, "SEQ_CLS"),
    ("gpt2", hf_ssl.GPTLMHeadModel, "CAUSAL_LM"),
    ("bart", hf_ssl.BartForConditionalGeneration, "SEQ_2_SEQ_LM"),
    ("t5", hf_ssl.T5ForConditionalGeneration, "SEQ_2_SEQ_LM"),
]


@pytest.mark.parametrize(("family", "model_class", "task_type"), CASES, ids=[c[0] for c in CASES])
def test_lora_with_default_targets_trains_saves_reloads_and_merges(family, model_class, task_type, tmp_path):
    model = make_model(family, model_class)
    inputs = make_inputs(model, labels=True)
    config = peft.LoraConfig(task_type=task_type, r=4, lora_alpha=8, init_lora_weights=False)
    tuned = peft.get_peft_model(model, config)
    adapted = {
        name.split(".lora_A")[0].rsplit(".", 1)[-1]
        for name, _ in tuned.named_parameters()
        if "lora_A" in name
    }
    assert adapted and adapted <= {"qkv_proj", "q_proj", "kv_proj"}, adapted
    optimizer = torch.optim.AdamW([p for p in tuned.parameters() if p.requires_grad], lr=1e-2)
    tuned.train()
    for _ in range(2):
        tuned(**inputs).loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    tuned.eval()
    with torch.no_grad():
        expected = tuned(**inputs).logits
    tuned.save_pretrained(tmp_path / "adapter")
    base = make_model(family, model_class).eval()  # the same seed: the same frozen base weights
    reloaded = peft.PeftModel.from_pretrained(base, tmp_path / "adapter").eval()
    with torch.no_grad():
        torch.testing.assert_close(reloaded(**inputs).logits, expected, rtol=1e-5, atol=1e-5)
        merged = reloaded.merge_and_unload()
        assert type(merged) is model_class
        torch.testing.assert_close(merged(**inputs).logits, expected, rtol=1e-4, atol=1e-4)


def test_the_defaults_are_registered_whichever_is_imported_first():
    code = (
        "import {first}, {second}\n"
        "from peft.utils.constants import TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING as mapping\n"
        "assert mapping['hf_ssl_bert'] == ['qkv_proj', 'q_proj', 'kv_proj'], mapping.get('hf_ssl_bert')\n"
        "assert 'hf_ssl_cbow' not in mapping and 'hf_ssl_elmo' not in mapping\n"
    )
    for first, second in (("hf_ssl", "peft"), ("peft", "hf_ssl")):
        subprocess.run([sys.executable, "-c", code.format(first=first, second=second)], check=True)


@pytest.mark.parametrize(("family", "model_class", "task_type"), CASES, ids=[c[0] for c in CASES])
def test_split_projections_compute_and_save_what_the_fused_one_does(family, model_class, task_type, tmp_path):
    from hf_ssl.layers import SplitQKVProjection, fuse_qkv_projections, split_qkv_projections

    fused = make_model(family, model_class).eval()
    inputs = make_inputs(fused)
    split = split_qkv_projections(make_model(family, model_class).eval())
    assert any(isinstance(m, SplitQKVProjection) for m in split.modules())
    assert list(split.state_dict()) == list(fused.state_dict())  # the checkpoint layout is unchanged
    for key, value in fused.state_dict().items():
        torch.testing.assert_close(split.state_dict()[key], value, rtol=0, atol=0, msg=key)
    with torch.no_grad():
        torch.testing.assert_close(split(**inputs).logits, fused(**inputs).logits, rtol=1e-5, atol=1e-6)
    split.save_pretrained(tmp_path / "split")
    loaded = model_class.from_pretrained(tmp_path / "split").eval()  # a plain, fused model
    split.load_state_dict(fused.state_dict())  # fused weights load into the split layout too
    with torch.no_grad():
        torch.testing.assert_close(loaded(**inputs).logits, fused(**inputs).logits, rtol=0, atol=0)
        refused = fuse_qkv_projections(split)
        assert not any(isinstance(m, SplitQKVProjection) for m in refused.modules())
        torch.testing.assert_close(refused(**inputs).logits, fused(**inputs).logits, rtol=1e-5, atol=1e-6)


def test_lora_on_queries_and_values_only_as_the_paper_adapts_them(tmp_path):
    from hf_ssl.layers import fuse_qkv_projections, split_qkv_projections

    model = split_qkv_projections(make_model("bert", hf_ssl.BertForMaskedLM))
    config = peft.LoraConfig(target_modules=["q_proj", "v_proj"], r=4, lora_alpha=8, init_lora_weights=False)
    tuned = peft.get_peft_model(model, config)
    adapted = {
        name.split(".lora_A")[0].rsplit(".", 1)[-1]
        for name, _ in tuned.named_parameters()
        if "lora_A" in name
    }
    assert adapted == {"q_proj", "v_proj"}  # keys untouched
    inputs = make_inputs(model, labels=True)
    tuned.train()  # training MLM computes the last layer at the masked positions only (query_states)
    sparse_loss = tuned(**inputs).loss
    tuned.eval()
    with torch.no_grad():
        dense_loss = tuned(**inputs).loss
    torch.testing.assert_close(sparse_loss.detach(), dense_loss)  # both paths see the adapters (no dropout)
    merged = fuse_qkv_projections(tuned.merge_and_unload())
    with torch.no_grad():
        expected = merged(**inputs).logits
    merged.save_pretrained(tmp_path / "merged")
    reloaded = hf_ssl.BertForMaskedLM.from_pretrained(tmp_path / "merged").eval()
    with torch.no_grad():
        torch.testing.assert_close(reloaded(**inputs).logits, expected, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="no fused q/k/v projection"):
        split_qkv_projections(make_model("elmo", hf_ssl.ElmoModel))
