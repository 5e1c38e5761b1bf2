"""Checkpoint saves in one step: at every instant the directory holds the old checkpoint or the new one.

A save writes the whole new checkpoint into a staging directory *inside* the target (one filesystem
even when the target is a symlink to another volume; no write access needed on the parent), then
commits with a single atomic rename: a journal that lists the moves and deletions still to do. It
then applies the journal and removes it.

- A crash before the commit leaves the old checkpoint untouched; the staging directory it leaves is
  removed by the next save or hf_ssl load.
- A crash after the commit is rolled forward by the next save or hf_ssl load (`recover`): every step
  of the journal is idempotent, so the new checkpoint comes out whole.
- Saves and hf_ssl loads lock the directory (`flock`), exclusive and shared: a load never reads one
  file of the old checkpoint and another of the new.
- New shard files never overwrite the old checkpoint's before the switch: a staged shard whose name
  is taken gets a name unique to the save, and the index (or `model.safetensors`) switches the
  weights with one rename.

transformers readers that bypass hf_ssl (hf_ssl not imported) take no lock; they see the switch of
config.json and the weights as two renames a few microseconds apart.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

JOURNAL = ".hf-ssl-save.json"
STAGING_PREFIX = ".hf-ssl-save-"
CONFIG = "config.json"
SAFE_INDEX = "model.safetensors.index.json"
# Files of a checkpoint's weights; a save removes the old checkpoint's that it does not rewrite.
WEIGHT_FILES = ("model.safetensors", "model-", SAFE_INDEX, "pytorch_model")
# Written by a save hook only when absent: a README.md already in the target is the user's card.
KEPT_IF_PRESENT = ("README.md",)


@contextmanager
def locked(directory: Path, *, exclusive: bool) -> Iterator[None]:
    """Hold a lock on `directory` itself (`flock` on its descriptor: no lock file left behind, and a
    read-only directory can be locked too)."""
    handle = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        yield
    finally:
        os.close(handle)  # closing releases the lock


def _fsync(path: Path) -> None:
    handle = os.open(path, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def recover(directory: Path) -> None:
    """Finish a committed save (roll its journal forward) and remove staging left by crashed saves.

    The caller holds the exclusive lock.
    """
    journal = directory / JOURNAL
    if journal.is_file():
        plan = json.loads(journal.read_text())
        _apply(directory, plan)
        journal.unlink()
        _fsync(directory)
    for leftover in directory.glob(f"{STAGING_PREFIX}*"):
        shutil.rmtree(leftover, ignore_errors=True)


def needs_recovery(directory: Path) -> bool:
    return (directory / JOURNAL).is_file() or any(directory.glob(f"{STAGING_PREFIX}*"))


def _apply(directory: Path, plan: dict) -> None:
    """Moves first (in order), then deletions; each step is skipped once done."""
    staging = directory / plan["staging"]
    for name in plan["moves"]:
        source = staging / name
        if source.exists():
            source.replace(directory / name)
    for name in plan["deletions"]:
        (directory / name).unlink(missing_ok=True)


def _unique_shard_names(staging: Path, target: Path, token: str) -> None:
    """Rename staged shards whose names the target already uses, and point the index at them."""
    index_file = staging / SAFE_INDEX
    if not index_file.is_file():
        return
    index = json.loads(index_file.read_text())
    renamed = {}
    for shard in sorted(set(index["weight_map"].values())):
        if (target / shard).exists():
            renamed[shard] = shard.replace("model-", f"model-{token}-", 1)
            (staging / shard).rename(staging / renamed[shard])
    if renamed:
        index["weight_map"] = {key: renamed.get(file, file) for key, file in index["weight_map"].items()}
        index_file.write_text(json.dumps(index, indent=2, sort_keys=True) + "\n")


def _plan(staging: Path, target: Path) -> dict:
    """The journal: staged files to move in (shards, other files, the weights' entry point, config.json
    last) and the old checkpoint's weight files to delete afterwards."""
    staged = sorted(p.name for p in staging.iterdir())
    entry_points = [name for name in (SAFE_INDEX, "model.safetensors") if name in staged]
    shards = [n for n in staged if n.startswith(WEIGHT_FILES) and n not in entry_points]
    others = [
        n
        for n in staged
        if n not in shards
        and n not in entry_points
        and n != CONFIG
        and not (n in KEPT_IF_PRESENT and (target / n).exists())
    ]
    moves = shards + others + entry_points + ([CONFIG] if CONFIG in staged else [])
    deletions = [
        p.name
        for p in sorted(target.iterdir())
        if p.is_file() and p.name.startswith(WEIGHT_FILES) and p.name not in staged
    ]
    return {"staging": staging.name, "moves": moves, "deletions": deletions}


def save_checkpoint(directory: str | os.PathLike[str], write: Callable[[Path], None]) -> None:
    """Run `write(staging)`, then switch `directory` to what it wrote in one committed step."""
    target = Path(directory)
    if target.is_file():
        from .io import CheckpointError

        raise CheckpointError(f"{target} is a file; save_pretrained needs a directory")
    target.mkdir(parents=True, exist_ok=True)
    with locked(target, exclusive=True):
        recover(target)
        token = uuid.uuid4().hex[:8]
        staging = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{token}-", dir=target))
        pending = target / f"{JOURNAL}.{token}.tmp"
        try:
            write(staging)
            _unique_shard_names(staging, target, token)
            for path in staging.rglob("*"):
                if path.is_file():
                    _fsync(path)
            plan = _plan(staging, target)
            pending.write_text(json.dumps(plan))
            _fsync(pending)
            pending.replace(target / JOURNAL)  # the commit: from here on the save rolls forward
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            pending.unlink(missing_ok=True)
            raise
        _fsync(target)
        _apply(target, plan)
        (target / JOURNAL).unlink()
        _fsync(target)
        shutil.rmtree(staging, ignore_errors=True)


@contextmanager
def reading(directory: Path) -> Iterator[None]:
    """Hold `directory` still while it loads: finish or clean up an earlier save first (when the
    directory is writable), then keep saves out with a shared lock."""
    if needs_recovery(directory):
        try:
            with locked(directory, exclusive=True):
                recover(directory)
        except OSError:
            pass  # read-only: nothing can be finished here
        if (directory / JOURNAL).is_file():
            from .io import CheckpointError

            raise CheckpointError(
                f"{directory} holds a save that was interrupted after its commit ({JOURNAL}); load it "
                "once from a writable location, where hf_ssl finishes the save"
            )
    with locked(directory, exclusive=False):
        yield


__all__ = ["JOURNAL", "STAGING_PREFIX", "locked", "reading", "recover", "save_checkpoint"]
