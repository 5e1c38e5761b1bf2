"""The README's quick start runs as written, on a tiny BERT saved where it looks for one."""

from __future__ import annotations

import re
from pathlib import Path

import hf_ssl

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_quick_start_runs_as_written(tmp_path, monkeypatch, wordpiece_tokenizer):
    (code,) = re.findall(r"## Quick start\n\n```python\n(.*?)```", README.read_text(), flags=re.DOTALL)
    config = hf_ssl.BertConfig(
        vocab_size=len(wordpiece_tokenizer),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
    )
    monkeypatch.chdir(tmp_path)
    hf_ssl.BertForPreTraining(config).save_pretrained("runs/bert-tiny")
    wordpiece_tokenizer.save_pretrained("runs/bert-tiny")
    namespace: dict = {}
    verbosity = hf_ssl.logging.get_verbosity()
    try:
        exec(
            compile(code.replace("max_steps=100", "max_steps=2, report_to=[]"), str(README), "exec"),
            namespace,
        )
    finally:
        hf_ssl.logging.set_verbosity(verbosity)  # the snippet turns on INFO for the whole session
    assert namespace["accuracy"].compute(predictions=[0, 1], references=[0, 0])["accuracy"] == 0.5
    assert (tmp_path / "out").is_dir()
