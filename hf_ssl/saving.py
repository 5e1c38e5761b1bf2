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
# Written by a save hook only when absent: a README.md already in the target is the user's card, a
# tokenizer_config.json the user's tokenizer (a family's own tokenizer is written beside its weights).
KEPT_IF_PRESENT = ("README.md", "tokenizer_config.json")


class CheckpointError(OSError):
    """A checkpoint file is missing, truncated or corrupted; the message names the file."""


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

    The caller holds the exclusive lock; a live save holds that lock for as long as its staging
    directory exists, so every staging directory found here is a dead save's.
    """
    journal = directory / JOURNAL
    if journal.is_file():
        plan = json.loads(journal.read_text())
        _apply(directory, plan)
        journal.unlink()
        _fsync(directory)
    for leftover in directory.glob(f"{STAGING_PREFIX}*"):
        shutil.rmtree(leftover, ignore_errors=True)
    for unfinished_journal in directory.glob(f"{JOURNAL}.*.tmp"):  # a save that died before its commit
        unfinished_journal.unlink(missing_ok=True)


def needs_recovery(directory: Path) -> bool:
    return (
        (directory / JOURNAL).is_file()
        or any(directory.glob(f"{JOURNAL}.*.tmp"))
        or any(directory.glob(f"{STAGING_PREFIX}*"))
    )


def _apply(directory: Path, plan: dict) -> None:
    """Moves first (in order), then deletions; each step is skipped once done. Names are paths
    relative to the directory (a checkpoint may hold sub-checkpoints, such as ELECTRA's
    `discriminator/`)."""
    staging = directory / plan["staging"]
    for name in plan["moves"]:
        source = staging / name
        if source.exists():
            (directory / name).parent.mkdir(parents=True, exist_ok=True)
            source.replace(directory / name)
    for name in plan["deletions"]:
        (directory / name).unlink(missing_ok=True)


def _unique_shard_names(staging: Path, target: Path, token: str) -> None:
    """Rename staged shards whose names the target already uses, and point each index at them."""
    for index_file in sorted(staging.rglob(SAFE_INDEX)):
        folder = index_file.parent.relative_to(staging)
        index = json.loads(index_file.read_text())
        renamed = {}
        for shard in sorted(set(index["weight_map"].values())):
            if (target / folder / shard).exists():
                renamed[shard] = shard.replace("model-", f"model-{token}-", 1)
                (index_file.parent / shard).rename(index_file.parent / renamed[shard])
        if renamed:
            index["weight_map"] = {key: renamed.get(file, file) for key, file in index["weight_map"].items()}
            index_file.write_text(json.dumps(index, indent=2, sort_keys=True) + "\n")


def _plan(staging: Path, target: Path, keep_existing: tuple[str, ...]) -> dict:
    """The journal: staged files to move in and the old checkpoint's weight files to delete afterwards.

    Moves go shards first, then other files, then the weights' entry points, then config.json files,
    the top-level one last: a directory loads as the new checkpoint only once its weights are in.
    Deleted: in each folder that receives a config.json or weights, the old weight files not rewritten.
    """
    staged = sorted(p.relative_to(staging) for p in staging.rglob("*") if not p.is_dir())

    def order(path: Path) -> tuple[int, bool, str]:
        if path.name == CONFIG:
            rank = 3
        elif path.name in (SAFE_INDEX, "model.safetensors"):
            rank = 2
        elif path.name.startswith(WEIGHT_FILES):
            rank = 0
        else:
            rank = 1
        return rank, path.parent == Path("."), path.as_posix()

    moves = [
        path.as_posix()
        for path in sorted(staged, key=order)
        if not (path.as_posix() in keep_existing and (target / path).exists())
    ]
    replaced_folders = {
        path.parent for path in staged if path.name == CONFIG or path.name.startswith(WEIGHT_FILES)
    }
    staged_names = {path.as_posix() for path in staged}
    deletions = [
        (folder / p.name).as_posix()
        for folder in sorted(replaced_folders)
        if (target / folder).is_dir()
        for p in sorted((target / folder).iterdir())
        if p.is_file()
        and p.name.startswith(WEIGHT_FILES)
        and (folder / p.name).as_posix() not in staged_names
    ]
    return {"staging": staging.name, "moves": moves, "deletions": deletions}


def staging_directory(parent: Path, prefix: str) -> Path:
    """A new directory in `parent` with the permissions `mkdir` gives under the process's umask.

    `tempfile.mkdtemp` makes it 0700, which suits a private temporary but not a directory that is
    renamed into place as the user's output.
    """
    staging = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    umask = os.umask(0)
    os.umask(umask)
    staging.chmod(0o777 & ~umask)
    return staging


@contextmanager
def staged_save(
    directory: str | os.PathLike[str], *, keep_existing: tuple[str, ...] = KEPT_IF_PRESENT
) -> Iterator[Path]:
    """Yield a staging directory inside `directory`; when the block ends without error, switch
    `directory` to what was written there in one committed step (files of the same name replaced,
    every other file kept). On error the staging directory is removed and `directory` is unchanged.

    Files named in `keep_existing` are written only where absent. The directory is locked for the
    whole block: write into the staging directory only, and load nothing from `directory` inside it.
    """
    target = Path(directory)
    if target.is_file() or (target.is_symlink() and not target.exists()):
        what = (
            "a file"
            if target.is_file()
            else "a symbolic link that leads nowhere (a loop or a missing target)"
        )
        raise CheckpointError(f"{target} is {what}; a checkpoint is saved into a directory")
    target.mkdir(parents=True, exist_ok=True)
    with locked(target, exclusive=True):
        recover(target)
        token = uuid.uuid4().hex[:8]
        staging = staging_directory(target, f"{STAGING_PREFIX}{token}-")
        pending = target / f"{JOURNAL}.{token}.tmp"
        try:
            yield staging
            _unique_shard_names(staging, target, token)
            for path in staging.rglob("*"):
                if path.is_file():
                    _fsync(path)
            plan = _plan(staging, target, keep_existing)
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


def save_checkpoint(directory: str | os.PathLike[str], write: Callable[[Path], None]) -> None:
    """Run `write(staging)`, then switch `directory` to what it wrote in one committed step."""
    with staged_save(directory) as staging:
        write(staging)


@contextmanager
def reading(directory: Path) -> Iterator[None]:
    """Hold `directory` still while it loads: finish or clean up an earlier save first (when the
    directory is writable), then keep saves out with a shared lock.

    A save into the parent directory also counts: it may carry a sub-checkpoint (ELECTRA's
    `discriminator/`), whose files its journal moves.
    """
    parent = directory.parent
    for folder, pending in ((parent, (parent / JOURNAL).is_file()), (directory, needs_recovery(directory))):
        if not pending:
            continue
        try:
            with locked(folder, exclusive=True):
                recover(folder)
        except OSError:
            pass  # read-only: nothing can be finished here
        if (folder / JOURNAL).is_file():
            raise CheckpointError(
                f"{folder} holds a save that was interrupted after its commit ({JOURNAL}); load it "
                "once from a writable location, where hf_ssl finishes the save"
            )
    with locked(directory, exclusive=False):
        yield


__all__ = [
    "JOURNAL",
    "STAGING_PREFIX",
    "CheckpointError",
    "locked",
    "reading",
    "recover",
    "save_checkpoint",
    "staged_save",
]
