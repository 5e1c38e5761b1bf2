"""Damaged downloads over real HTTP: what the clients miss, and the hf_ssl errors that name the file.

Faults are injected on the server (tests/hub/server.py) or in the local cache after a good download;
the clients are the real, unmodified huggingface_hub and transformers.
"""

from __future__ import annotations

import json
import time
import types
from pathlib import Path

import pytest
import torch
import transformers
from huggingface_hub import HfApi, file_download, hf_hub_download
from transformers import AutoModel

import hf_ssl
from hf_ssl.hub import ChecksumMismatchError, verify_repo_checksums
from hf_ssl.io import CheckpointError
from tests.hub.server import StoredFile
from tests.models.tiny import TINY_CONFIGS, make_model


def _pushed(repo_id: str, **push_kwargs):
    model = make_model("bert", hf_ssl.BertModel).eval()
    model.push_to_hub(repo_id, **push_kwargs)
    return model


def test_an_intact_download_matches_the_hubs_checksums(hub):
    _pushed("org/intact")
    AutoModel.from_pretrained("org/intact")
    result = verify_repo_checksums("org/intact")
    assert result.checked_count == 2  # config.json and model.safetensors were downloaded
    assert result.mismatches == []


def test_a_flipped_byte_loads_silently_but_the_checksum_verification_names_the_file(hub):
    original = _pushed("org/flipped")
    hub.state.corrupt("org/flipped", "model.safetensors", position=-3)
    # Neither client checks the content: the damaged weights load without a word.
    loaded = AutoModel.from_pretrained("org/flipped").eval()
    differing = [k for k, v in original.state_dict().items() if not torch.equal(loaded.state_dict()[k], v)]
    assert len(differing) == 1
    algorithm = "sha256" if hub.upload_mode == "lfs" else "git-sha1"
    with pytest.raises(
        ChecksumMismatchError, match=rf"model\.safetensors: {algorithm} is [0-9a-f]+, the Hub"
    ):
        verify_repo_checksums("org/flipped")


def test_a_truncated_file_on_the_hub_raises_a_checkpoint_error_naming_it(hub):
    _pushed("org/truncated")
    files = hub.state.repos["org/truncated"].resolve("main").files
    stored = files["model.safetensors"]
    files["model.safetensors"] = StoredFile(stored.data[: len(stored.data) // 2], lfs=stored.lfs)
    with pytest.raises(
        CheckpointError, match=r"model\.safetensors is truncated or corrupted.*'org/truncated'"
    ):
        AutoModel.from_pretrained("org/truncated")


def test_a_truncated_shard_in_the_cache_raises_a_checkpoint_error_naming_the_shard(inline_hub):
    _pushed("org/shards", max_shard_size="20KB")
    AutoModel.from_pretrained("org/shards")
    index = json.loads(Path(hf_hub_download("org/shards", "model.safetensors.index.json")).read_text())
    shard = sorted(set(index["weight_map"].values()))[-1]
    blob = Path(hf_hub_download("org/shards", shard)).resolve()  # the snapshot entry is a symlink
    blob.write_bytes(blob.read_bytes()[:40])
    with pytest.raises(CheckpointError, match=rf"{shard} is truncated or corrupted"):
        AutoModel.from_pretrained("org/shards")


def test_a_download_that_keeps_breaking_off_names_the_file_not_pytorch_model_bin(inline_hub, monkeypatch):
    _pushed("org/cut")
    inline_hub.state.cut_downloads["model.safetensors"] = 5000
    # huggingface_hub sleeps 1 s before each of its 5 resumes; the retries still happen, only faster.
    monkeypatch.setattr(
        file_download, "time", types.SimpleNamespace(**{**vars(time), "sleep": lambda s: None})
    )
    with pytest.raises(
        CheckpointError, match=r"downloading model\.safetensors of Hub repository 'org/cut' broke off"
    ):
        AutoModel.from_pretrained("org/cut")


class _Payload:
    """Unpickling this runs code: it writes a marker file (a stand-in for anything worse)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (exec, (f"open({str(self.marker)!r}, 'w').write('ran')",))


def _malicious_repo(tmp_path: Path, repo_id: str, config: dict) -> Path:
    folder, marker = tmp_path / repo_id.replace("/", "--"), tmp_path / f"{repo_id.replace('/', '--')}.ran"
    folder.mkdir()
    config.pop("dtype", None)  # without a dtype, transformers sniffs it from the weights
    (folder / "config.json").write_text(json.dumps(config))
    torch.save({"embeddings.word_embeddings.weight": _Payload(marker)}, folder / "pytorch_model.bin")
    HfApi().create_repo(repo_id)
    HfApi().upload_folder(repo_id=repo_id, folder_path=folder)
    return marker


def test_a_pickled_bin_checkpoint_is_never_unpickled_by_hf_ssl(inline_hub, tmp_path):
    config = hf_ssl.BertConfig.from_dict(TINY_CONFIGS["bert"].to_dict()).to_dict()
    marker = _malicious_repo(tmp_path, "org/pickled", config)
    # transformers' default weights_only=True refuses the payload; hf_ssl names the file.
    with pytest.raises(CheckpointError, match=r"pytorch_model\.bin .*refused by weights_only=True"):
        AutoModel.from_pretrained("org/pickled")
    with pytest.raises(ValueError, match="weights_only=False is refused"):
        AutoModel.from_pretrained("org/pickled", weights_only=False)
    assert not marker.exists()


def test_transformers_itself_runs_the_pickle_with_weights_only_false_which_is_why_hf_ssl_refuses(
    inline_hub, tmp_path
):
    tiny = transformers.BertConfig(
        vocab_size=64, hidden_size=32, num_hidden_layers=1, num_attention_heads=4, intermediate_size=64
    )
    marker = _malicious_repo(tmp_path, "org/pickled-bert", tiny.to_dict())
    # transformers unpickles the file to sniff a dtype; the payload runs, then the sniffing trips over
    # what it returned (None, not a tensor).
    with pytest.raises(AttributeError, match="is_floating_point"):
        transformers.BertModel.from_pretrained("org/pickled-bert", weights_only=False)
    assert marker.read_text() == "ran"


def test_a_file_changed_in_a_local_dir_download_is_named_by_the_checksum_verification(inline_hub, tmp_path):
    from huggingface_hub import snapshot_download

    _pushed("org/local")
    local = Path(snapshot_download("org/local", local_dir=tmp_path / "local"))
    pushed = HfApi().list_repo_files("org/local")  # every file, .gitattributes and the carried code included
    assert verify_repo_checksums("org/local", local_dir=local).checked_count == len(pushed)
    config = local / "config.json"
    config.write_text(config.read_text().replace('"hidden_size": 32', '"hidden_size": 33'))
    with pytest.raises(ChecksumMismatchError, match=r"config\.json: git-sha1 is"):
        verify_repo_checksums("org/local", local_dir=local)


def test_a_repo_without_weights_keeps_transformers_error_and_is_not_called_a_broken_download(inline_hub):
    HfApi().create_repo("org/no-weights")
    config = json.dumps(hf_ssl.BertConfig.from_dict(TINY_CONFIGS["bert"].to_dict()).to_dict())
    HfApi().upload_file(path_or_fileobj=config.encode(), path_in_repo="config.json", repo_id="org/no-weights")
    with pytest.raises(OSError, match="does not appear to have") as raised:
        AutoModel.from_pretrained("org/no-weights")
    assert not isinstance(raised.value, CheckpointError)


def test_a_shard_missing_from_the_cache_fails_the_checksum_verification_naming_it(inline_hub):
    _pushed("org/lost-shard", max_shard_size="20KB")
    AutoModel.from_pretrained("org/lost-shard")
    assert verify_repo_checksums("org/lost-shard").checked_count > 2
    index = json.loads(Path(hf_hub_download("org/lost-shard", "model.safetensors.index.json")).read_text())
    shard = sorted(set(index["weight_map"].values()))[0]
    Path(hf_hub_download("org/lost-shard", shard)).unlink()  # the snapshot's link to the blob
    with pytest.raises(CheckpointError, match=rf"{shard} missing under .*index lists them"):
        verify_repo_checksums("org/lost-shard")
