"""`hf-ssl push`: a saved directory, checked, then uploaded as one commit that loads back."""

from __future__ import annotations

import pytest
import torch
from transformers import AutoModelForMaskedLM

import hf_ssl
from hf_ssl.cli import main
from hf_ssl.io import CheckpointError

from ..models.tiny import make_model


def test_push_uploads_a_checked_directory_that_loads_back(hub, tmp_path):
    model = make_model("bert", hf_ssl.BertForMaskedLM).eval()
    model.save_pretrained(tmp_path / "bert")
    assert main(["push", str(tmp_path / "bert"), "org/pushed"]) == 0
    loaded = AutoModelForMaskedLM.from_pretrained("org/pushed").eval()
    ids = torch.randint(5, 100, (2, 6))
    with torch.no_grad():
        torch.testing.assert_close(loaded(ids).logits, model(ids).logits)
    files = set(hub.state.repos["org/pushed"].resolve("main").files)
    assert {"config.json", "model.safetensors", "hf_ssl_remote.py"} <= files


def test_push_refuses_a_damaged_or_foreign_directory(inline_hub, tmp_path):
    make_model("bert", hf_ssl.BertForMaskedLM).save_pretrained(tmp_path / "bert")
    weights = tmp_path / "bert" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])
    with pytest.raises(CheckpointError, match=r"model\.safetensors is truncated or corrupted"):
        main(["push", str(tmp_path / "bert"), "org/damaged"])
    with pytest.raises(CheckpointError, match=r"holds no config\.json"):
        main(["push", str(tmp_path), "org/empty"])
    assert "org/damaged" not in inline_hub.state.repos
