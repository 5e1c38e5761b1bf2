"""Fixtures for Hub tests: a loopback Hub-protocol server that the real clients are pointed at.

huggingface_hub reads HF_ENDPOINT, HF_HOME and HF_HUB_DISABLE_XET when it is imported, so setting
the environment is not enough once it is loaded: the module constants are patched too, and
transformers' cached HfApi is dropped.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from .server import HubServer, HubState, UploadMode

DUMMY_TOKEN = "hf_" + "x" * 34


@dataclass
class Hub:
    """What a test needs: the server's URL and state, the upload mode, and the isolated HF_HOME."""

    endpoint: str
    state: HubState
    upload_mode: UploadMode
    home: Path

    @property
    def cache(self) -> Path:
        return self.home / "hub"

    def env(self) -> dict[str, str]:
        """Environment for a subprocess that should talk to this server (constants are read at import)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("HF_HUB_OFFLINE")}
        env.update(HF_ENDPOINT=self.endpoint, HF_HOME=str(self.home), HF_TOKEN=DUMMY_TOKEN)
        if self.upload_mode == "lfs":
            env["HF_HUB_DISABLE_XET"] = "1"
        return env


def point_clients_at(monkeypatch: pytest.MonkeyPatch, endpoint: str, home: Path, mode: UploadMode) -> None:
    """Make huggingface_hub and transformers talk to `endpoint`, with `home` as HF_HOME (undone by monkeypatch)."""
    from huggingface_hub import constants
    from transformers.utils import hub as transformers_hub

    monkeypatch.setenv("HF_ENDPOINT", endpoint)
    monkeypatch.setenv("HF_HOME", str(home))
    monkeypatch.setenv("HF_TOKEN", DUMMY_TOKEN)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(constants, "ENDPOINT", endpoint)
    monkeypatch.setattr(
        constants, "HUGGINGFACE_CO_URL_TEMPLATE", endpoint + "/{repo_id}/resolve/{revision}/{filename}"
    )
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "HF_HOME", str(home))
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(home / "hub"))
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(home / "token"))
    monkeypatch.setattr(constants, "HF_STORED_TOKENS_PATH", str(home / "stored_tokens"))
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_XET", mode == "lfs")
    if mode == "lfs":
        monkeypatch.setenv("HF_HUB_DISABLE_XET", "1")
    monkeypatch.setattr(transformers_hub, "_hf_api", None)


@pytest.fixture(params=["regular", "lfs"], ids=["inline", "lfs"])
def hub(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Hub]:
    """A fresh server per test, in both upload modes: files inline in the commit, or via git-LFS."""
    mode: UploadMode = request.param
    with HubServer(upload_mode=mode, token=DUMMY_TOKEN) as server:
        home = tmp_path / "hf_home"
        point_clients_at(monkeypatch, server.endpoint, home, mode)
        yield Hub(server.endpoint, server.state, mode, home)
        assert not server.state.errors, server.state.errors
    # transformers caches the HfApi built against this endpoint; never let it leak to other tests.
    from transformers.utils import hub as transformers_hub

    transformers_hub._hf_api = None


@pytest.fixture
def inline_hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Hub]:
    """One server in inline mode, for tests whose subject is not the upload path."""
    with HubServer(upload_mode="regular", token=DUMMY_TOKEN) as server:
        home = tmp_path / "hf_home"
        point_clients_at(monkeypatch, server.endpoint, home, "regular")
        yield Hub(server.endpoint, server.state, "regular", home)
        assert not server.state.errors, server.state.errors
    from transformers.utils import hub as transformers_hub

    transformers_hub._hf_api = None
