"""save_pretrained in one step: killed at any file operation, the directory loads as the old checkpoint
or the new one, whole; leftovers of crashed saves are cleaned up; a load never mixes two saves.

A kill is emulated by freezing the file system at the k-th operation: that operation and every one
after it raise, so no cleanup code of the dying save can run (as after kill -9).
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import torch
import transformers.modeling_utils as modeling_utils

import hf_ssl
from hf_ssl.saving import JOURNAL, STAGING_PREFIX


class Killed(BaseException):
    """The process died here."""


def _model(hidden_act: str, seed: int) -> hf_ssl.BertModel:
    config = hf_ssl.BertConfig(
        vocab_size=100,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=64,
        hidden_act=hidden_act,  # the two checkpoints differ in config as well as in weights
    )
    torch.manual_seed(seed)
    return hf_ssl.BertModel(config)


OLD, NEW = ("gelu", 0), ("relu", 1)

# os-level primitives under every rename, deletion, sync and removal; the weights' writer.
_PATCHED = [(os, "replace"), (os, "rename"), (os, "unlink"), (os, "rmdir"), (os, "fsync")]
_PATCHED += [(shutil, "rmtree"), (modeling_utils, "safe_save_file")]


@contextmanager
def killed_at(step: int | None, counter: list[int]):
    """Count file operations; from operation `step` on (None: never), every one raises Killed."""
    originals = [(module, name, getattr(module, name)) for module, name in _PATCHED]

    def counting(original):
        def operation(*args, **kwargs):
            counter[0] += 1
            if step is not None and counter[0] > step:
                raise Killed
            return original(*args, **kwargs)

        return operation

    for module, name, original in originals:
        setattr(module, name, counting(original))
    try:
        yield
    finally:
        for module, name, original in originals:
            setattr(module, name, original)


def _state(model) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in model.state_dict().items()}


def _matches(loaded, expected: tuple[str, int]) -> bool:
    reference = _model(*expected)
    return loaded.config.hidden_act == expected[0] and all(
        torch.equal(value, reference.state_dict()[key]) for key, value in loaded.state_dict().items()
    )


@pytest.mark.parametrize(
    ("old_shards", "new_shards"),
    [(None, None), ("20KB", "20KB"), (None, "20KB"), ("20KB", None)],
    ids=["whole", "sharded", "whole-to-sharded", "sharded-to-whole"],
)
def test_a_save_killed_at_any_file_operation_leaves_the_old_or_the_new_checkpoint_whole(
    tmp_path, old_shards, new_shards
):
    old_kwargs = {"max_shard_size": old_shards} if old_shards else {}
    new_kwargs = {"max_shard_size": new_shards} if new_shards else {}
    counter = [0]
    rehearsal = tmp_path / "rehearsal"
    _model(*OLD).save_pretrained(rehearsal, **old_kwargs)
    with killed_at(None, counter):
        _model(*NEW).save_pretrained(rehearsal, **new_kwargs)
    operations = counter[0]
    assert operations >= 5
    outcomes = []
    for step in range(operations + 1):
        directory = tmp_path / f"kill-{step}"
        _model(*OLD).save_pretrained(directory, **old_kwargs)
        (directory / "tokenizer.json").write_text("{}")  # the user's file
        counter[0] = 0
        with pytest.raises(Killed) if step < operations else _no_error(), killed_at(step, counter):
            _model(*NEW).save_pretrained(directory, **new_kwargs)
        loaded = hf_ssl.BertModel.from_pretrained(directory)  # finishes or discards the dead save
        outcome = "new" if _matches(loaded, NEW) else "old" if _matches(loaded, OLD) else "mixed"
        outcomes.append(outcome)
        assert outcome != "mixed", f"killed at operation {step} of {operations}"
        assert (directory / "tokenizer.json").is_file()
        assert not list(directory.glob(".hf-ssl*")), "a dead save left files behind"
        weight_files = sorted(p.name for p in directory.iterdir() if p.name.startswith("model"))
        index = directory / "model.safetensors.index.json"
        if index.is_file():  # no stale weights: exactly the files the index names
            import json

            named = set(json.loads(index.read_text())["weight_map"].values())
            assert set(weight_files) == named | {index.name}
        else:
            assert weight_files == ["model.safetensors"]
    assert outcomes[0] == "old" and outcomes[-1] == "new"  # both ends reached


@contextmanager
def _no_error():
    yield


def test_a_crashed_save_on_disk_is_finished_by_the_next_save(tmp_path):
    _model(*OLD).save_pretrained(tmp_path)
    counter = [0]
    with pytest.raises(Killed), killed_at(10, counter):
        _model(*NEW).save_pretrained(tmp_path)
    leftovers = list(tmp_path.glob(f"{STAGING_PREFIX}*"))
    assert leftovers  # the dead save's staging is still there
    _model(*OLD).save_pretrained(tmp_path)
    assert not list(tmp_path.glob(f"{STAGING_PREFIX}*")) and not (tmp_path / JOURNAL).exists()
    assert _matches(hf_ssl.BertModel.from_pretrained(tmp_path), OLD)


def test_saving_through_a_symlink_stays_on_the_link_targets_filesystem(tmp_path):
    real = tmp_path / "volume" / "model"
    real.mkdir(parents=True)
    (tmp_path / "link").symlink_to(real)
    _model(*OLD).save_pretrained(tmp_path / "link")
    _model(*NEW).save_pretrained(tmp_path / "link")
    assert (tmp_path / "link").is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "volume"]  # nothing beside the link
    assert _matches(hf_ssl.BertModel.from_pretrained(tmp_path / "link"), NEW)


def test_a_save_writes_nothing_outside_its_directory(tmp_path, monkeypatch):
    # A writable target under a read-only parent (a mounted volume) must be saveable: every file
    # operation of a save stays inside the target. (Checked by path: root ignores permissions.)
    target = tmp_path / "parent" / "model"
    target.mkdir(parents=True)
    touched: list[Path] = []
    for module, name in [(os, "replace"), (os, "rename"), (os, "unlink"), (os, "rmdir"), (os, "mkdir")]:
        original = getattr(module, name)

        def recording(*args, _original=original, **kwargs):
            if "dir_fd" not in kwargs:  # shutil.rmtree's relative names under a directory descriptor
                touched.extend(Path(a) for a in args[:2] if isinstance(a, (str, os.PathLike)))
            return _original(*args, **kwargs)

        monkeypatch.setattr(module, name, recording)
    _model(*OLD).save_pretrained(target)
    _model(*NEW).save_pretrained(target)
    monkeypatch.undo()
    inside = [p.resolve() == target or target in p.resolve().parents for p in touched]
    assert touched and all(inside), [p for p, ok in zip(touched, inside, strict=True) if not ok]
    assert _matches(hf_ssl.BertModel.from_pretrained(target), NEW)


def test_loads_during_saves_never_mix_two_checkpoints(tmp_path, monkeypatch):
    _model(*OLD).save_pretrained(tmp_path)
    slow_open = modeling_utils.safe_open

    def slowly(*args, **kwargs):  # a wide gap between reading config.json and the weights
        time.sleep(0.03)
        return slow_open(*args, **kwargs)

    monkeypatch.setattr(modeling_utils, "safe_open", slowly)
    models = [_model(*OLD), _model(*NEW)]
    errors: list[BaseException] = []

    def save_repeatedly():
        try:
            for i in range(16):
                models[i % 2].save_pretrained(tmp_path)
        except BaseException as error:  # reported by the main thread
            errors.append(error)

    saver = threading.Thread(target=save_repeatedly)
    saver.start()
    loads = 0
    while saver.is_alive() or loads < 3:
        loaded = hf_ssl.BertModel.from_pretrained(tmp_path)
        assert _matches(loaded, OLD) or _matches(loaded, NEW), f"load {loads} mixed two saves"
        loads += 1
    saver.join()
    assert not errors, errors


@pytest.mark.parametrize("umask", [0o022, 0o077])
def test_output_directories_get_the_permissions_the_umask_gives(tmp_path, umask):
    from hf_ssl.io import atomic_directory

    previous = os.umask(umask)
    try:
        with atomic_directory(tmp_path / "run") as staging:
            (staging / "metrics.json").write_text("{}")
        (tmp_path / "reference").mkdir()
    finally:
        os.umask(previous)
    mode = (tmp_path / "run").stat().st_mode & 0o777
    assert mode == (tmp_path / "reference").stat().st_mode & 0o777 == 0o777 & ~umask, oct(mode)
