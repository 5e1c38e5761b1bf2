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
