"""The benchmark harness runs end to end and reports ratios (no timed assertions)."""

from __future__ import annotations

import json

import pytest

from hf_ssl import bench
from hf_ssl.cli import main
from hf_ssl.models.bart import BartForConditionalGeneration
from hf_ssl.models.bert import BertForMaskedLM
from hf_ssl.models.gpt import GPTLMHeadModel
from hf_ssl.models.spec import BenchShape

TINY = {
    "hidden_size": 32,
    "num_hidden_layers": 1,
    "num_attention_heads": 2,
    "intermediate_size": 64,
    "max_position_embeddings": 512,
    "vocab_size": 300,
}


@pytest.fixture
def tiny_models(monkeypatch):
    monkeypatch.setitem(bench.MODELS, "bert-test", BenchShape(BertForMaskedLM, TINY, "mlm"))
    gpt = {**TINY, "bos_token_id": 2, "eos_token_id": 2}
    monkeypatch.setitem(bench.MODELS, "gpt-test", BenchShape(GPTLMHeadModel, gpt, "causal", pad_token_id=2))
    bart = {"d_model": 32, "encoder_layers": 1, "decoder_layers": 1, "encoder_attention_heads": 2}
    bart |= {"decoder_attention_heads": 2, "encoder_ffn_dim": 64, "decoder_ffn_dim": 64}
    bart |= {"vocab_size": 300, "max_position_embeddings": 512}
    monkeypatch.setitem(
        bench.MODELS,
        "bart-test",
        BenchShape(BartForConditionalGeneration, bart, "seq2seq", pad_token_id=1),
    )
    monkeypatch.setattr(
        bench,
        "collator_throughput",
        lambda rounds, examples, tensors=False: (4.0 if tensors else 2.0, 1.0),
    )
    monkeypatch.setattr(bench, "causal_collator_throughput", lambda rounds, examples: (3.0, 1.0))
    monkeypatch.setattr(bench, "packing_collator_throughput", lambda rounds, examples: (5.0, 2.0))


@pytest.mark.parametrize("name", ["bert-test", "gpt-test", "bart-test"])
def test_benchmark_reports_every_ratio(tiny_models, name):
    result = bench.benchmark(name, quick=True)
    for key in ("train_ratio_fixed", "train_ratio_variable", "infer_ratio", "memory_ratio"):
        assert result[key] > 0
    # MLM and causal models compare their collators; encoder-decoders' have no transformers twin.
    assert ("collator_ratio" in result) == (name != "bart-test")
    assert ("wwm_collator_ratio" in result) == (name == "bert-test")
    if name == "bert-test":  # list rows and tensor rows are measured and reported apart
        assert (result["collator_ratio"], result["collator_ratio_tensor_rows"]) == (2.0, 4.0)
        assert "2.0x / 4.0x" in bench.markdown_table([result])
    # Causal models also compare packing with transformers' flattening collator.
    assert ("packing_collator_ratio" in result) == (name == "gpt-test")
    if name == "gpt-test":
        assert (result["collator_ratio"], result["packing_collator_ratio"]) == (3.0, 2.5)
        assert bench.markdown_table([result]).endswith("| 3.0x | n/a | 2.5x |")
    assert 0.0 <= result["padding_waste"] < 1.0
    assert result["saved_activation_bytes"]["hf_ssl"] > 0


def test_cli_bench_writes_json_and_markdown(tiny_models, tmp_path):
    assert (
        main(
            [
                "bench",
                "--model",
                "bert-test",
                "--quick",
                "--json",
                str(tmp_path / "r.json"),
                "--markdown",
                str(tmp_path / "r.md"),
            ]
        )
        == 0
    )
    assert json.loads((tmp_path / "r.json").read_text())["model"] == "bert-test"
    assert "| bert-test |" in (tmp_path / "r.md").read_text()


def test_unknown_model_names_the_choices():
    with pytest.raises(ValueError, match="unknown benchmark model 'bert-huge'"):
        bench.benchmark("bert-huge")


@pytest.mark.parametrize(
    "measure",
    [
        lambda: bench.collator_throughput(1, examples=64),
        lambda: bench.collator_throughput(1, examples=64, tensors=True),
        lambda: bench.causal_collator_throughput(1, examples=64),
        lambda: bench.packing_collator_throughput(1, examples=64),
    ],
    ids=["mlm-lists", "mlm-tensors", "causal", "packing"],
)
def test_collator_measurements_run_both_sides(measure):
    ours, theirs = measure()
    assert ours > 0 and theirs > 0  # examples per second; never compared in a test
