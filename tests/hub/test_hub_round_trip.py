"""push_to_hub then from_pretrained("org/name") over real HTTP, with the real clients, for every family.

Every test runs against tests/hub/server.py on 127.0.0.1; the `hub` fixture runs each test twice,
once with files sent inline in the commit and once through git-LFS (HF_HUB_DISABLE_XET=1).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from huggingface_hub import HfApi, ModelCard, hf_hub_download
from transformers import AutoModel, AutoModelForPreTraining, AutoTokenizer

import hf_ssl
from hf_ssl.hub import REMOTE_MODULE, auto_map_for
from hf_ssl.hub.remote_code import remote_code_files
from tests.models.tiny import TINY_CONFIGS, main_output, make_inputs, make_model, run

from .isolated import run_python


def _base_model(family: str, seed: int = 0):
    model_class = hf_ssl.AUTO_CLASSES[type(TINY_CONFIGS[family])][AutoModel]
    return make_model(family, model_class, seed=seed).eval()


def _assert_same_outputs(expected, actual) -> None:
    """Bit-identical weights, and outputs within the generic suite's 1e-6 (ELECTRA's sampling forward
    differs by ~1e-9 between two runs of one model)."""
    for key, value in expected.state_dict().items():
        assert torch.equal(actual.state_dict()[key], value), key
    inputs = make_inputs(expected)
    torch.testing.assert_close(
        main_output(run(actual, inputs)), main_output(run(expected, inputs)), rtol=0, atol=1e-6
    )


@pytest.mark.parametrize("family", list(TINY_CONFIGS))
def test_every_family_pushed_to_the_hub_loads_back_with_identical_outputs(hub, family):
    # The pre-training head: the richest checkpoint (tied LM heads, ELECTRA's two networks); TagLM
    # has only its tagger.
    heads = hf_ssl.AUTO_CLASSES[type(TINY_CONFIGS[family])]
    auto_class = AutoModelForPreTraining if AutoModelForPreTraining in heads else next(iter(heads))
    pretraining_class = heads[auto_class]
    model = make_model(family, pretraining_class).eval()
    model.push_to_hub(f"org/{family}")
    files = hub.state.repos[f"org/{family}"].resolve("main").files
    assert {"config.json", "model.safetensors", f"{REMOTE_MODULE}.py", "README.md"} <= set(files)
    assert files["model.safetensors"].lfs == (hub.upload_mode == "lfs")
    loaded, info = auto_class.from_pretrained(f"org/{family}", output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"] and not info["mismatched_keys"]
    assert type(loaded) is pretraining_class
    _assert_same_outputs(model, loaded.eval())
    # The same repo gives the bare network to AutoModel, with the pushed weights. (ELECTRA's
    # pre-training model holds two networks: AutoModel loads its discriminator, the one to fine-tune.)
    joint = isinstance(model, hf_ssl.ElectraForPreTraining)
    base_model = model.discriminator.electra if joint else model.base_model
    if base_model is not model and AutoModel in heads:
        base = AutoModel.from_pretrained(f"org/{family}")
        for key, value in base_model.state_dict().items():
            assert torch.equal(base.state_dict()[key], value), key


def test_the_pushed_config_carries_the_full_auto_map_and_the_repo_a_model_card(hub):
    hf_ssl.BertForMaskedLM(TINY_CONFIGS["bert"]).push_to_hub("org/card", tags=["hf-ssl-test"])
    config = json.loads(Path(hf_hub_download("org/card", "config.json")).read_text())
    assert config["auto_map"] == auto_map_for(hf_ssl.BertConfig)
    assert config["model_type"] == "hf_ssl_bert"
    card = ModelCard.load("org/card")
    assert "hf-ssl-test" in card.data.tags
    # The remote-code entry module and the flat copies of the modules it needs (hf_ssl/hub/remote_code.py).
    assert sorted(HfApi().list_repo_files("org/card")) == sorted(
        [
            ".gitattributes",
            "README.md",
            "config.json",
            "model.safetensors",
            *remote_code_files(hf_ssl.BertConfig),
        ]
    )


def test_a_pushed_tokenizer_loads_back_and_encodes_identically(hub, wordpiece_tokenizer):
    wordpiece_tokenizer.push_to_hub("org/tokenizer")
    loaded = AutoTokenizer.from_pretrained("org/tokenizer")
    text = "Call me Ishmael. Some years ago, never mind how long precisely."
    assert loaded(text)["input_ids"] == wordpiece_tokenizer(text)["input_ids"]
    assert loaded.get_vocab() == wordpiece_tokenizer.get_vocab()


def test_a_sharded_checkpoint_round_trips_shard_by_shard(hub):
    model = _base_model("bert")
    model.push_to_hub("org/sharded", max_shard_size="20KB")
    files = HfApi().list_repo_files("org/sharded")
    shards = [name for name in files if name.startswith("model-") and name.endswith(".safetensors")]
    assert "model.safetensors.index.json" in files and len(shards) > 1
    _assert_same_outputs(model, AutoModel.from_pretrained("org/sharded").eval())


def test_a_second_commit_moves_main_and_the_first_commit_sha_still_gives_the_first_weights(hub):
    first, second = _base_model("gpt2", seed=0), _base_model("gpt2", seed=1)
    first.push_to_hub("org/evolving")
    first_sha = HfApi().model_info("org/evolving").sha
    second.push_to_hub("org/evolving", commit_message="second weights")
    second_sha = HfApi().model_info("org/evolving").sha
    assert second_sha != first_sha
    assert HfApi().model_info("org/evolving", revision=first_sha).sha == first_sha
    _assert_same_outputs(second, AutoModel.from_pretrained("org/evolving").eval())
    _assert_same_outputs(first, AutoModel.from_pretrained("org/evolving", revision=first_sha).eval())
    with pytest.raises(AssertionError):  # the two commits really hold different weights
        _assert_same_outputs(first, second)


def test_a_pushed_repo_loads_with_trust_remote_code_where_hf_ssl_is_not_installed(inline_hub, tmp_path):
    model = hf_ssl.BertForSequenceClassification(TINY_CONFIGS["bert"]).eval()
    model.push_to_hub("org/remote")
    inputs = make_inputs(model)
    torch.save(inputs, tmp_path / "inputs.pt")
    script = (
        "import sys\n"
        "import torch\n"
        "from transformers import AutoModelForSequenceClassification\n"
        "model = AutoModelForSequenceClassification.from_pretrained('org/remote', trust_remote_code=True)\n"
        "assert 'hf_ssl' not in sys.modules\n"
        "with torch.no_grad():\n"
        f"    logits = model.eval()(**torch.load({str(tmp_path / 'inputs.pt')!r})).logits\n"
        f"torch.save(logits, {str(tmp_path / 'logits.pt')!r})\n"
        "print(type(model).__module__ + '.' + type(model).__name__)\n"
    )
    done = run_python(script, tmp_path / "isolated", env=inline_hub.env())
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().startswith("transformers_modules.")
    assert done.stdout.strip().endswith(f"{REMOTE_MODULE}.BertForSequenceClassification")
    with torch.no_grad():
        expected = model(**inputs).logits
    torch.testing.assert_close(torch.load(tmp_path / "logits.pt"), expected, rtol=0, atol=1e-6)
    # Every code file was fetched from the server, not found locally.
    sha = _sha(inline_hub, "org/remote")
    for name in remote_code_files(hf_ssl.BertConfig):
        assert ("GET", f"/org/remote/resolve/{sha}/{name}") in inline_hub.state.requests, name


def test_a_missing_repo_a_missing_revision_and_a_missing_file_raise_the_clients_own_errors(inline_hub):
    from huggingface_hub.errors import EntryNotFoundError, RepositoryNotFoundError, RevisionNotFoundError

    hf_ssl.BertModel(TINY_CONFIGS["bert"]).push_to_hub("org/exists")
    with pytest.raises(RepositoryNotFoundError):
        hf_hub_download("org/absent", "config.json")
    with pytest.raises(RevisionNotFoundError):
        hf_hub_download("org/exists", "config.json", revision="0" * 40)
    with pytest.raises(EntryNotFoundError):
        hf_hub_download("org/exists", "absent.json")
    with pytest.raises(OSError, match="org/absent"):
        AutoModel.from_pretrained("org/absent")


def _sha(hub, repo_id: str) -> str:
    return hub.state.repos[repo_id].refs["main"]


def test_save_pretrained_with_push_to_hub_pushes_the_auto_map_and_the_remote_code_module(
    inline_hub, tmp_path
):
    model = _base_model("roberta")
    model.save_pretrained(
        tmp_path / "saved", push_to_hub=True, repo_id="org/saved", commit_message="via save"
    )
    files = inline_hub.state.repos["org/saved"].resolve("main").files
    assert f"{REMOTE_MODULE}.py" in files
    assert json.loads(files["config.json"].data)["auto_map"] == auto_map_for(hf_ssl.RobertaConfig)
    assert (tmp_path / "saved" / f"{REMOTE_MODULE}.py").is_file()
    _assert_same_outputs(model, AutoModel.from_pretrained("org/saved").eval())
