"""Writing outputs without losing anything: staged writes, and no file deleted that a run did not write.

A run's outputs are written into a hidden staging directory first and moved into place at the end,
so an interrupted run leaves the target as it was. A directory that already holds files is written
into only when the caller says so (`overwrite=True`, the CLI's `--overwrite`); then the run's files
replace their namesakes and every other file stays.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .saving import STAGING_PREFIX, CheckpointError, save_checkpoint, staged_save, staging_directory

_STAGING_PREFIX = ".hf-ssl-partial-"


def check_output_directory(path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
    """The output directory as an absolute path; raises if it is a file, or holds files and
    `overwrite` is False. Call it before a long run, so a refusal costs nothing."""
    target = Path(os.path.abspath(path))
    if target.exists() and not target.is_dir():
        raise FileExistsError(f"output {str(path)!r} is a file; expected a directory")
    if target.is_dir() and not overwrite:
        found = sorted(
            p.name for p in target.iterdir() if not p.name.startswith((_STAGING_PREFIX, STAGING_PREFIX))
        )
        if found:
            shown = ", ".join(found[:5]) + (", ..." if len(found) > 5 else "")
            raise FileExistsError(
                f"output directory {str(path)!r} is not empty ({shown}); choose another, or pass "
                "--overwrite (overwrite=True) to replace the files this run writes and keep the others"
            )
    return target


@contextmanager
def atomic_directory(path: str | os.PathLike[str], *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a staging directory; on success its files move into `path`, on error it is removed.

    A new or empty `path` receives the staged directory in one rename (made beside it). An existing
    one (only with `overwrite=True`) is switched in one committed step by `hf_ssl.saving`: the run's
    files replace their namesakes, an older checkpoint's weight files that the run does not rewrite
    are removed with them, every other file stays, and at every instant the old or the new files
    are there whole.
    """
    target = check_output_directory(path, overwrite=overwrite)
    if target.is_dir():
        with staged_save(target, keep_existing=()) as staging:
            yield staging
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = staging_directory(target.parent, f"{_STAGING_PREFIX}{target.name}-")
    try:
        yield staging
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def read_config_json(path: str | os.PathLike[str]) -> dict[str, Any]:
    """A checkpoint's config.json as a dict; a broken file raises a CheckpointError naming it."""
    import json

    try:
        config = json.loads(Path(path).read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as error:  # JSONDecodeError is a ValueError
        raise CheckpointError(
            f"{path} is not valid JSON ({error}); re-save or re-download the checkpoint"
        ) from error
    if not isinstance(config, dict):
        raise CheckpointError(
            f"{path} holds a JSON {type(config).__name__}; expected an object of config fields"
        )
    return config


def check_checkpoint_files(directory: str | os.PathLike[str], *, needs_config: bool = True) -> None:
    """Verify that a local checkpoint's safetensors files are whole before transformers reads them.

    transformers surfaces a truncated `model.safetensors` as a raw SafetensorError ("incomplete
    metadata", "header too small") and a missing shard as a bare FileNotFoundError.
    This names the file and says what is wrong. The format has no checksum:
    a flipped byte inside the tensor data cannot be seen here (verify against the Hub's sha256).
    """
    import json

    from safetensors import SafetensorError, safe_open

    root = Path(directory)
    index = root / "model.safetensors.index.json"
    if index.is_file():
        try:
            weight_map = json.loads(index.read_text())["weight_map"]
            if not isinstance(weight_map, dict):
                raise TypeError(f"weight_map is a JSON {type(weight_map).__name__}, expected an object")
            shards = sorted(set(weight_map.values()))
        except (ValueError, KeyError, TypeError) as error:
            raise CheckpointError(
                f"{index}: not a valid shard index ({type(error).__name__}: {error}); expected "
                '{"weight_map": {tensor name: shard file}}'
            ) from error
        for name in shards:
            if not isinstance(name, str) or Path(name).name != name or name in ("", ".", ".."):
                raise CheckpointError(
                    f"{index}: shard {name!r} is not a file name inside {root}; a shard index may only "
                    "name files beside it"
                )
    elif (root / "model.safetensors").is_file():
        shards = ["model.safetensors"]
    else:
        return
    if needs_config and not (root / "config.json").is_file():
        raise CheckpointError(
            f"{root} has weights but no config.json: the checkpoint is incomplete (an interrupted save?)"
        )
    for name in shards:
        path = root / name
        if not path.is_file():
            raise CheckpointError(f"{path}: shard listed in {index.name} is missing")
        try:
            with safe_open(str(path), "pt") as handle:
                handle.keys()
        except SafetensorError as error:
            raise CheckpointError(
                f"{path} is truncated or corrupted ({error}); re-download or re-save the checkpoint"
            ) from error


def downloaded_checkpoint_error(
    repo_id: str,
    error: BaseException,
    *,
    revision: str | None = None,
    cache_dir: str | Path | None = None,
    subfolder: str = "",
) -> CheckpointError:
    """The CheckpointError for a Hub checkpoint that failed to load: it names the damaged cached file.

    Called only after loading failed, so a healthy load pays nothing. The cached snapshot of
    `repo_id` is run through `check_checkpoint_files`, which names the truncated, corrupted or
    missing file; if it finds none, the error names the repository and the original failure.
    """
    from huggingface_hub import try_to_load_from_cache

    for name in ("model.safetensors.index.json", "model.safetensors"):
        filename = f"{subfolder}/{name}" if subfolder else name
        cached = try_to_load_from_cache(repo_id, filename, cache_dir=cache_dir, revision=revision)
        if not isinstance(cached, str):  # not in the cache (None) or known to be absent
            continue
        try:
            check_checkpoint_files(Path(cached).parent, needs_config=False)
        except CheckpointError as named:
            return CheckpointError(
                f"{named} [downloaded from the Hub repository {repo_id!r}; delete the file or load with "
                "force_download=True]"
            )
    return CheckpointError(f"the checkpoint of Hub repository {repo_id!r} could not be read: {error}")


def interrupted_download_error(repo_id: str, error: BaseException) -> CheckpointError | None:
    """A CheckpointError naming the file whose download broke off, if that is what `error` hides.

    huggingface_hub retries a dropped download, then raises its transport error; transformers then
    reports that no `pytorch_model.bin` exists, which sends users looking for
    the wrong file. The transport error is found in the exception chain and its URL names the file.
    """
    seen: BaseException | None = error
    while seen is not None:
        # httpx's TransportError covers dropped, refused and timed-out connections, but not HTTP
        # status errors (a 404 is a missing file, not a broken download); matched by name so the
        # check does not depend on which httpx fork huggingface_hub ships.
        transport = any(c.__name__ == "TransportError" for c in type(seen).__mro__)
        if transport or isinstance(seen, ConnectionError):
            try:
                url = str(seen.request.url)  # type: ignore[attr-defined]
            except (AttributeError, RuntimeError):  # httpx raises RuntimeError when no request is set
                url = ""
            filename = url.split("/resolve/", 1)[1].split("/", 1)[-1] if "/resolve/" in url else "a file"
            return CheckpointError(
                f"downloading {filename} of Hub repository {repo_id!r} broke off ({seen}); nothing was "
                "loaded, try again"
            )
        seen = seen.__cause__ or seen.__context__
    return None


SAVE_HOOKS: list = []
"""Callables (model, staging_directory) run before a model is saved; `hf_ssl` registers the Hub
helpers here (the remote-code auto_map), so models never import the hub layer."""

_PUSH_ONLY_KWARGS = (
    "repo_id",
    "commit_message",
    "commit_description",
    "private",
    "create_pr",
    "revision",
    "tags",
)


class AtomicSaveMixin:
    """`save_pretrained` in one committed step (`hf_ssl.saving`): at every instant the directory
    holds the old checkpoint or the new one, whole.

    Other files in the directory (a tokenizer, a model card) are left alone, and a README.md already
    there is never replaced by the hooks' card. `push_to_hub=True` saves this way, then pushes with
    `push_to_hub`.
    """

    def save_pretrained(self, save_directory: str | os.PathLike[str], *args: Any, **kwargs: Any) -> Any:
        if kwargs.pop("push_to_hub", False):
            # transformers' own push path writes straight into the directory and skips SAVE_HOOKS, so
            # the pushed repo would lack the auto_map and the remote-code module: save atomically,
            # then push through push_to_hub (which saves through this method again).
            push = {k: kwargs.pop(k) for k in _PUSH_ONLY_KWARGS if k in kwargs}
            repo_id = push.pop("repo_id", Path(save_directory).name)
            result = self.save_pretrained(save_directory, *args, **kwargs)
            self.push_to_hub(
                repo_id,
                token=kwargs.get("token"),
                max_shard_size=kwargs.get("max_shard_size", "50GB"),
                **push,
            )
            return result
        results: list[Any] = []

        def write(staging: Path) -> None:
            for hook in SAVE_HOOKS:
                hook(self, staging)
            results.append(super(AtomicSaveMixin, self).save_pretrained(staging, *args, **kwargs))  # type: ignore[misc]

        save_checkpoint(save_directory, write)
        return results[0]

    def _push_to_hub(
        self,
        repo_id: str,
        *,
        commit_message: str | None = None,
        commit_description: str | None = None,
        private: bool | None = None,
        token: bool | str | None = None,
        revision: str | None = None,
        create_pr: bool = False,
        max_shard_size: int | str | None = "50GB",
        tags: list[str] | None = None,
    ) -> str:
        """transformers' `push_to_hub` (same arguments), but the README is hf_ssl's model card.

        transformers (utils/hub.py, PushToHubMixin.push_to_hub) saves into a temporary directory and
        then overwrites README.md with its generic card. Here a card already in the repository (the
        user's) is kept, as transformers does; otherwise the card the save hooks wrote is uploaded.
        `tags` are added to whichever card is pushed.
        """
        from huggingface_hub import ModelCard
        from huggingface_hub.errors import EntryNotFoundError
        from transformers.utils.hub import create_and_tag_model_card, hf_api

        repo_id = hf_api().create_repo(repo_id, private=private, token=token, exist_ok=True).repo_id
        card_token = token if isinstance(token, str) else None  # True/None: the stored login
        with tempfile.TemporaryDirectory() as tmp_dir:
            self.save_pretrained(tmp_dir, max_shard_size=max_shard_size)
            readme = Path(tmp_dir) / "README.md"
            try:
                card = ModelCard.load(repo_id, token=card_token)
            except EntryNotFoundError:
                # No card in the repo: ours, or transformers' generic one if no hook wrote a card.
                card = ModelCard.load(readme) if readme.is_file() else None
            if card is None:
                card = create_and_tag_model_card(repo_id, tags, token=card_token)
            if tags:
                card_tags = list(card.data.tags or [])
                card.data.tags = card_tags + [tag for tag in tags if tag not in card_tags]
            card.save(readme)
            return self._upload_modified_files(  # type: ignore[attr-defined]
                tmp_dir,
                repo_id,
                files_timestamps={},
                commit_message=commit_message,
                token=token,
                create_pr=create_pr,
                revision=revision,
                commit_description=commit_description,
            )

    # transformers replaces PreTrainedModel.push_to_hub by a functools-wrapped copy (copy_func), which
    # no plain method matches for a type checker; the override is typed Any so every model class that
    # combines this mixin with PreTrainedModel type-checks.
    push_to_hub: Any = _push_to_hub
