"""`hf-ssl convert`: a transformers checkpoint directory to hf_ssl and back, same numbers."""

from __future__ import annotations

import pytest
import torch
import transformers

import hf_ssl
from hf_ssl.cli import main

SIZES = {"vocab_size": 99, "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4}


@torch.no_grad()
def test_convert_writes_an_hf_ssl_twin_and_back(tmp_path, wordpiece_tokenizer):
    torch.manual_seed(0)
    theirs = transformers.BertForMaskedLM(transformers.BertConfig(**SIZES, intermediate_size=64)).eval()
    theirs.save_pretrained(tmp_path / "theirs")
    wordpiece_tokenizer.save_pretrained(tmp_path / "theirs")
    assert main(["convert", str(tmp_path / "theirs"), str(tmp_path / "ours")]) == 0
    ours = transformers.AutoModelForMaskedLM.from_pretrained(tmp_path / "ours").eval()
    assert isinstance(ours, hf_ssl.BertForMaskedLM)
    assert (
        transformers.AutoTokenizer.from_pretrained(tmp_path / "ours").get_vocab()
        == wordpiece_tokenizer.get_vocab()
    )
    ids = torch.randint(5, 99, (2, 7))
    torch.testing.assert_close(ours(ids).logits, theirs(ids).logits, atol=1e-5, rtol=1e-5)

    assert main(["convert", str(tmp_path / "ours"), str(tmp_path / "back"), "--to", "transformers"]) == 0
    back = transformers.BertForMaskedLM.from_pretrained(tmp_path / "back").eval()
    torch.testing.assert_close(back(ids).logits, theirs(ids).logits, atol=1e-5, rtol=1e-5)


def test_convert_names_what_it_cannot_convert(tmp_path):
    with pytest.raises(FileNotFoundError, match="is not a saved checkpoint directory"):
        main(["convert", str(tmp_path / "missing"), str(tmp_path / "out")])
    transformers.CLIPTextConfig().save_pretrained(tmp_path / "clip")
    (tmp_path / "clip" / "config.json").write_text(
        '{"architectures": ["CLIPTextModel"], "model_type": "clip_text_model"}'
    )
    with pytest.raises(ValueError, match=r"holds a 'CLIPTextModel'; hf_ssl converts from \["):
        main(["convert", str(tmp_path / "clip"), str(tmp_path / "out")])
    assert not (tmp_path / "out").exists()


def test_the_console_entry_point_reports_mistakes_in_one_line(tmp_path, capsys):
    from hf_ssl.cli import run

    assert run(["convert", str(tmp_path / "missing"), str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err
    assert error.startswith("hf-ssl convert: error: ") and "is not a saved checkpoint directory" in error
    assert "Traceback" not in error
