"""`hf-ssl push`: upload a saved checkpoint directory to the Hub, checked first.

A directory written by `save_pretrained` / `hf-ssl pretrain` already carries everything a Hub
repository needs (weights, config with the full auto_map, the remote-code shim, tokenizer, card).
Before uploading, the safetensors files are checked (a truncated file or a missing shard is named)
and the config must load with hf_ssl's registry, so a broken or foreign directory never reaches
the Hub. The upload is one commit (huggingface_hub's upload_folder).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def push_directory(
    directory: str,
    repo_id: str,
    *,
    private: bool = False,
    revision: str | None = None,
    commit_message: str | None = None,
    token: str | None = None,
) -> dict[str, Any]:
    """Check `directory`, create `repo_id` if needed and upload the directory as one commit."""
    from huggingface_hub import HfApi
    from transformers import AutoConfig

    from ..io import CheckpointError, check_checkpoint_files
    from ..models.registry import check_known_family

    root = Path(directory)
    if not (root / "config.json").is_file():
        raise CheckpointError(
            f"{root} holds no config.json: not a checkpoint directory written by save_pretrained"
        )
    check_checkpoint_files(root)
    check_known_family(root)
    config = AutoConfig.from_pretrained(root)
    if not str(config.model_type).startswith("hf_ssl_"):
        raise ValueError(
            f"{root} holds a {config.model_type!r} checkpoint; `hf-ssl push` uploads hf_ssl checkpoints "
            "(convert it first: hf-ssl convert)"
        )
    api = HfApi(token=token)
    url = api.create_repo(repo_id, private=private, exist_ok=True)
    commit = api.upload_folder(
        repo_id=repo_id,
        folder_path=str(root),
        revision=revision,
        commit_message=commit_message or f"Upload {config.model_type} with hf-ssl push",
        ignore_patterns=[".*", "**/.*"],
    )
    return {
        "repo": str(url),
        "commit": commit.oid,
        "model_type": config.model_type,
        "files": sorted(
            p.relative_to(root).as_posix()
            for p in root.rglob("*")
            if p.is_file() and not p.name.startswith(".")
        ),
    }
