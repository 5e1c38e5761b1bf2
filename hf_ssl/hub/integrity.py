"""Check downloaded Hub files against the checksums the Hub records for them.

Neither huggingface_hub nor transformers checks a download's sha256: a file of the right size with a
flipped byte loads silently with wrong weights, and safetensors has no checksum of its own.
The Hub's tree lists a sha256 for every LFS file and a git blob sha1 for the
others; `huggingface_hub.HfApi.verify_repo_checksums` compares a local copy with them. This wraps it
so a mismatch raises hf_ssl's own `CheckpointError` naming the file, while files that were never
downloaded (from_pretrained fetches only what it needs) are not an error.

Reference: huggingface_hub 2.4 `hf_api.py` (verify_repo_checksums), `utils/_verification.py`.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from ..io import CheckpointError

logger = logging.getLogger(__name__)


class ChecksumMismatchError(CheckpointError):
    """A downloaded file's content differs from the checksum the Hub records for it."""


def verify_repo_checksums(
    repo_id: str,
    *,
    revision: str | None = None,
    local_dir: str | Path | None = None,
    cache_dir: str | Path | None = None,
    token: str | bool | None = None,
) -> Any:
    """Compare the local copy of `repo_id` (the HF cache by default) with the Hub's sha256 / git sha1.

    Raises `ChecksumMismatchError` naming every differing file with both checksums; returns
    huggingface_hub's `FolderVerification` (checked_count, missing_paths, ...) when all match.
    `revision` defaults to the cache's "main" ref (or "main" for a `local_dir`).
    """
    from huggingface_hub import HfApi

    if local_dir is not None and cache_dir is not None:
        raise ValueError(f"pass local_dir or cache_dir, not both (got {local_dir!r} and {cache_dir!r})")
    result = HfApi().verify_repo_checksums(
        repo_id, revision=revision, local_dir=local_dir, cache_dir=cache_dir, token=token
    )
    if result.mismatches:
        lines = [
            f"{result.verified_path / m['path']}: {m['algorithm']} is {m['actual']}, the Hub records "
            f"{m['expected']}"
            for m in result.mismatches
        ]
        raise ChecksumMismatchError(
            f"{len(lines)} file(s) of {repo_id}@{result.revision} differ from the Hub "
            "(corrupted download or storage; delete them and download again):\n" + "\n".join(lines)
        )
    if result.checked_count == 0:
        raise CheckpointError(f"no file of {repo_id}@{result.revision} found under {result.verified_path}")
    # A shard the local index needs but the copy lacks is not "never downloaded": loading would fail.
    needed = _files_the_checkpoint_needs(Path(result.verified_path))
    lost = sorted(needed & set(result.missing_paths or ()))
    if lost:
        raise CheckpointError(
            f"{repo_id}@{result.revision}: {', '.join(lost)} missing under {result.verified_path}, "
            "though the checkpoint's index lists them (an interrupted download? download again)"
        )
    logger.info("%s@%s: %d file(s) match the Hub", repo_id, result.revision, result.checked_count)
    return result


def _files_the_checkpoint_needs(root: Path) -> set[str]:
    """Weight files a local copy's shard index names (empty when it has no index)."""
    import json

    index = root / "model.safetensors.index.json"
    if not index.is_file():
        return set()
    return set(json.loads(index.read_text()).get("weight_map", {}).values())
