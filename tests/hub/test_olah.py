"""The download side checked against olah, a third-party Hub mirror server, not against our own server.

A tiny model is pushed to the loopback server (tests/hub/server.py), downloaded with
`snapshot_download`, committed into a git repository laid out as olah's `mirrors-path` expects
(`<mirrors>/models/<org>/<name>`, LFS files as pointers plus `.git/lfs/objects/aa/bb/<sha256>`,
exactly what `git lfs` leaves in a clone; olah needs no git-lfs binary), served by olah in offline
mode on 127.0.0.1, and loaded with `AutoModel.from_pretrained("org/name")` through it.

olah pins psutil<6 (through fastapi-utils), which conflicts with this project's environment, so it
is not a test extra: the test installs it from PyPI into its own virtual environment, cached in
~/.cache/hf_ssl/olah-venv, unless HF_SSL_OLAH names an olah-cli (or one is on PATH). It skips,
naming olah, only when that installation fails. Reference: olah `olah/mirror/repos.py`,
`olah/configs.py`.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from huggingface_hub import snapshot_download
from transformers import AutoModel

import hf_ssl
from tests.hub.conftest import point_clients_at
from tests.hub.server import lfs_pointer
from tests.models.tiny import make_model

OLAH_ENV = "HF_SSL_OLAH"
STARTUP_SECONDS = 60.0


OLAH_VENV = Path.home() / ".cache" / "hf_ssl" / "olah-venv"
INSTALL_SECONDS = 600


def _olah_executable() -> str | None:
    named = os.environ.get(OLAH_ENV)
    if named and Path(named).is_file():
        return named
    return shutil.which("olah-cli") or _install_olah()


def _install_olah() -> str | None:
    """olah-cli from a virtual environment of its own (its pins conflict with ours); None if pip fails."""
    executable = OLAH_VENV / "bin" / "olah-cli"
    if executable.is_file():
        return str(executable)
    try:
        subprocess.run([sys.executable, "-m", "venv", str(OLAH_VENV)], check=True, capture_output=True)
        subprocess.run(
            [str(OLAH_VENV / "bin" / "python"), "-m", "pip", "install", "-q", "olah"],
            check=True,
            capture_output=True,
            timeout=INSTALL_SECONDS,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError):
        shutil.rmtree(OLAH_VENV, ignore_errors=True)
        return None
    return str(executable) if executable.is_file() else None


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def _mirror_as_git_repository(snapshot: Path, repo: Path) -> None:
    """Commit a downloaded snapshot as a git-lfs clone would hold it: safetensors as LFS pointers."""
    repo.mkdir(parents=True)
    _git(repo, "init", "-q", "-b", "main")
    for source in sorted(p for p in snapshot.rglob("*") if p.is_file() and ".cache" not in p.parts):
        relative = source.relative_to(snapshot)
        target = repo / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        data = source.read_bytes()
        if relative.suffix == ".safetensors":
            oid = hashlib.sha256(data).hexdigest()
            target.write_bytes(lfs_pointer(oid, len(data)))
            stored = repo / ".git" / "lfs" / "objects" / oid[:2] / oid[2:4] / oid
            stored.parent.mkdir(parents=True, exist_ok=True)
            stored.write_bytes(data)
        else:
            target.write_bytes(data)
    _git(repo, "add", "-A")
    _git(repo, "-c", "user.name=hf_ssl", "-c", "user.email=hf_ssl@localhost", "commit", "-q", "-m", "mirror")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def olah(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """(endpoint, mirrors path) of an offline olah server; the test fills the mirrors path first."""
    executable = _olah_executable()
    if executable is None:
        pytest.skip(f"olah (PyPI) could not be installed into {OLAH_VENV}; or name an olah-cli in {OLAH_ENV}")
    mirrors, port = tmp_path / "mirrors", _free_port()
    mirrors.mkdir()
    config = tmp_path / "olah.toml"
    config.write_text(
        "[basic]\n"
        f'host = "127.0.0.1"\nport = {port}\n'
        f'repos-path = "{tmp_path / "olah-cache"}"\n'
        f'mirror-netloc = "127.0.0.1:{port}"\nmirror-lfs-netloc = "127.0.0.1:{port}"\n'
        f'mirrors-path = ["{mirrors}"]\n'
        "[accessibility]\noffline = true\n"
    )
    log = (tmp_path / "olah.out").open("w")
    process = subprocess.Popen(
        [executable, "-c", str(config), "--log-path", str(tmp_path / "olah-logs")],
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if process.poll() is not None:
                pytest.fail(
                    f"olah exited with {process.returncode}: {(tmp_path / 'olah.out').read_text()[-2000:]}"
                )
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"olah did not listen on port {port} within {STARTUP_SECONDS} s")
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}", mirrors
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def test_a_pushed_model_mirrored_as_a_git_repository_loads_identically_through_olah(
    inline_hub, olah, monkeypatch, tmp_path
):
    model = make_model("bert", hf_ssl.BertForMaskedLM).eval()
    model.push_to_hub("org/mirrored")
    snapshot = Path(snapshot_download("org/mirrored", local_dir=tmp_path / "snapshot"))
    endpoint, mirrors = olah
    _mirror_as_git_repository(snapshot, mirrors / "models" / "org" / "mirrored")

    # From here on the clients see only olah, with an empty cache.
    point_clients_at(monkeypatch, endpoint, tmp_path / "fresh_home", "regular")
    # With peft installed, AutoModel first asks for adapter_config.json; olah answers a file missing
    # from a mirrored git repository with 401, which huggingface_hub reads as a missing repository.
    for module in ("transformers.models.auto.auto_factory", "transformers.integrations.peft"):
        monkeypatch.setattr(f"{module}.is_peft_available", lambda: False)
    requests_to_our_server = len(inline_hub.state.requests)
    loaded = AutoModel.from_pretrained("org/mirrored")
    assert len(inline_hub.state.requests) == requests_to_our_server
    assert type(loaded) is hf_ssl.BertModel
    for key, value in model.base_model.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value), key
    # The weights really travelled through olah, as the LFS object of the mirror.
    cached = list((tmp_path / "fresh_home" / "hub").rglob("model.safetensors"))
    assert cached and cached[0].read_bytes() == (snapshot / "model.safetensors").read_bytes()
