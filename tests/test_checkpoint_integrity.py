"""Damaged checkpoints fail with an error that names the file; atomic directories survive failures."""

from __future__ import annotations

import json

import pytest
import torch
from transformers import AutoModel

import hf_ssl
from hf_ssl.io import CheckpointError


def _saved(tmp_path, **kwargs):
    config = hf_ssl.BertConfig(
        vocab_size=100, hidden_size=32, num_hidden_layers=1, num_attention_heads=4, intermediate_size=64
    )
    hf_ssl.BertModel(config).save_pretrained(tmp_path, **kwargs)
    return tmp_path


@pytest.mark.parametrize("cut", [100, 10_000_000])
def test_a_truncated_safetensors_file_is_named_in_the_error(tmp_path, cut):
    path = _saved(tmp_path) / "model.safetensors"
    data = path.read_bytes()
    path.write_bytes(data[: max(5, len(data) - cut)])
    with pytest.raises(CheckpointError, match=r"model\.safetensors is truncated or corrupted"):
        hf_ssl.BertModel.from_pretrained(tmp_path)


def test_a_missing_shard_is_named_in_the_error(tmp_path):
    directory = _saved(tmp_path, max_shard_size="20KB")
    index = json.loads((directory / "model.safetensors.index.json").read_text())
    shards = sorted(set(index["weight_map"].values()))
    assert len(shards) > 1
    (directory / shards[-1]).unlink()
    with pytest.raises(
        CheckpointError, match=f"{shards[-1]}: shard listed in model.safetensors.index.json is missing"
    ):
        hf_ssl.BertModel.from_pretrained(directory)


def test_an_intact_sharded_checkpoint_loads_identically(tmp_path):
    config = hf_ssl.BertConfig(
        vocab_size=100, hidden_size=32, num_hidden_layers=1, num_attention_heads=4, intermediate_size=64
    )
    original = hf_ssl.BertModel(config)
    original.save_pretrained(tmp_path, max_shard_size="20KB")
    assert (tmp_path / "model.safetensors.index.json").is_file()
    loaded = hf_ssl.BertModel.from_pretrained(tmp_path)
    for key, value in original.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value), key


def _config():
    return hf_ssl.BertConfig(
        vocab_size=100, hidden_size=32, num_hidden_layers=1, num_attention_heads=4, intermediate_size=64
    )


def test_a_save_that_fails_while_writing_leaves_the_previous_checkpoint_intact(tmp_path, monkeypatch):
    old = hf_ssl.BertModel(_config())
    old.save_pretrained(tmp_path)
    (tmp_path / "tokenizer.json").write_text("{}")  # other files are left alone

    import transformers.modeling_utils as modeling_utils

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(modeling_utils, "safe_save_file", broken)
    with pytest.raises(OSError, match="disk full"):
        hf_ssl.BertModel(_config()).save_pretrained(tmp_path)
    monkeypatch.undo()
    loaded = hf_ssl.BertModel.from_pretrained(tmp_path)
    for key, value in old.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value), key
    assert (tmp_path / "tokenizer.json").is_file()
    assert [p.name for p in tmp_path.parent.iterdir() if p.name.startswith(f".{tmp_path.name}")] == []


def test_a_checkpoint_of_another_model_type_is_refused_by_name(tmp_path):
    config = hf_ssl.GPTConfig(
        vocab_size=100,
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=4,
        intermediate_size=64,
        max_position_embeddings=16,
        bos_token_id=1,
        eos_token_id=2,
    )
    hf_ssl.GPTLMHeadModel(config).save_pretrained(tmp_path)
    with pytest.raises(
        ValueError, match="holds a 'hf_ssl_gpt' checkpoint; BertModel loads 'hf_ssl_bert' ones"
    ):
        hf_ssl.BertModel.from_pretrained(tmp_path)
    from transformers import AutoModel

    assert isinstance(AutoModel.from_pretrained(tmp_path), hf_ssl.GPTModel)


def test_a_missing_directory_is_named(tmp_path):
    with pytest.raises(OSError, match="does-not-exist"):
        hf_ssl.BertModel.from_pretrained(tmp_path / "does-not-exist")


@pytest.mark.parametrize("change", ["drop", "add"])
def test_missing_or_unexpected_keys_are_reported_and_an_error_when_strict(tmp_path, change):
    from safetensors.torch import load_file, save_file

    sizes = {"vocab_size": 100, "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4}
    model = hf_ssl.BertForMaskedLM(hf_ssl.BertConfig(**sizes, intermediate_size=64))
    model.save_pretrained(tmp_path)
    weights = load_file(tmp_path / "model.safetensors")
    if change == "drop":
        del weights["bert.encoder.layers.1.ffn.up_proj.weight"]
    else:
        weights["bert.encoder.layers.1.ffn.extra.weight"] = torch.zeros(2)
    save_file(weights, tmp_path / "model.safetensors", metadata={"format": "pt"})
    _, info = hf_ssl.BertForMaskedLM.from_pretrained(tmp_path, output_loading_info=True, strict=False)
    key = "missing_keys" if change == "drop" else "unexpected_keys"
    assert any("layers.1.ffn" in k for k in info[key])
    for strict in (None, True):  # a core weight: an error by default too
        with pytest.raises(
            CheckpointError,
            match=rf"does not fit BertForMaskedLM \({key.replace('_', ' ')}: .*layers\.1\.ffn",
        ):
            hf_ssl.BertForMaskedLM.from_pretrained(tmp_path, strict=strict)


def _saved_bert(directory, **overrides):
    sizes = {"vocab_size": 100, "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4}
    model = hf_ssl.BertForPreTraining(hf_ssl.BertConfig(**{**sizes, "intermediate_size": 64, **overrides}))
    model.save_pretrained(directory)
    return model


def test_a_renamed_tensor_in_the_header_is_an_error_not_a_random_weight(tmp_path):
    from safetensors.torch import load_file, save_file

    _saved_bert(tmp_path)
    weights = load_file(tmp_path / "model.safetensors")
    weights["bert.encoder.layers.0.self_attn.o_proj.weights"] = weights.pop(
        "bert.encoder.layers.0.self_attn.o_proj.weight"
    )
    save_file(weights, tmp_path / "model.safetensors", metadata={"format": "pt"})
    with pytest.raises(
        CheckpointError,
        match=r"missing keys: \['encoder.layers.0.self_attn.o_proj.weight'\]; unexpected keys: \['bert.encoder.layers.0.self_attn.o_proj.weights'",
    ):
        AutoModel.from_pretrained(tmp_path)


def test_an_edited_layer_count_is_an_error_not_a_random_layer(tmp_path):
    import json

    _saved_bert(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    config["num_hidden_layers"] = 3
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match=r"missing keys: \['bert.encoder.layers.2"):
        hf_ssl.BertForMaskedLM.from_pretrained(tmp_path)


def test_another_familys_label_on_the_weights_is_an_error(tmp_path):
    import json

    _saved_bert(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    gpt = hf_ssl.GPTConfig(
        vocab_size=100,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        bos_token_id=1,
        eos_token_id=2,
    ).to_dict()
    (tmp_path / "config.json").write_text(json.dumps({**gpt, "architectures": config["architectures"]}))
    with pytest.raises(CheckpointError, match="does not fit GPTModel"):
        AutoModel.from_pretrained(tmp_path)


def test_a_head_swap_loads_the_core_exactly_and_says_what_it_dropped_and_initialised(tmp_path):
    from tests.logs import messages_logged_by

    pretrained = _saved_bert(tmp_path, num_labels=3)
    with messages_logged_by("hf_ssl.conversion") as messages:
        classifier = hf_ssl.BertForSequenceClassification.from_pretrained(tmp_path)
    for key, value in pretrained.bert.state_dict().items():
        assert torch.equal(classifier.bert.state_dict()[key], value), key
    line = [message for message in messages if "head swap" in message]
    assert len(line) == 1 and "dropped ['lm_head." in line[0] and "initialised ['classifier." in line[0]


def test_a_head_swap_says_it_in_one_line_without_transformers_per_key_table(tmp_path):
    from tests.logs import messages_logged_by

    _saved_bert(tmp_path, num_labels=3)
    with messages_logged_by("transformers.modeling_utils") as messages:
        hf_ssl.BertForSequenceClassification.from_pretrained(tmp_path, strict=False)
    assert any("LOAD REPORT" in m for m in messages)  # transformers' behaviour, as asked
    with messages_logged_by("transformers.modeling_utils") as messages:
        hf_ssl.BertForSequenceClassification.from_pretrained(tmp_path)
    assert not [m for m in messages if "LOAD REPORT" in m]


@pytest.mark.parametrize(
    "shard", ["../outside.safetensors", "/tmp/absolute.safetensors", "sub/x.safetensors"]
)
def test_a_shard_index_naming_a_file_outside_the_checkpoint_is_refused(tmp_path, shard):
    import json

    hf_ssl.BertModel(_config()).save_pretrained(tmp_path / "model", max_shard_size="20KB")
    index_file = tmp_path / "model" / "model.safetensors.index.json"
    index = json.loads(index_file.read_text())
    first = next(iter(index["weight_map"]))
    index["weight_map"][first] = shard
    index_file.write_text(json.dumps(index))
    with pytest.raises(CheckpointError, match="is not a file name inside"):
        hf_ssl.BertModel.from_pretrained(tmp_path / "model")
