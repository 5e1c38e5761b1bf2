"""Shared fixtures of the reproduction smoke tests."""

from __future__ import annotations

import pytest

from hf_ssl.data import find_wordnet


@pytest.fixture(scope="module")
def wordnet_and_matplotlib() -> None:
    """Skip, naming the asset, where Debian's WordNet or matplotlib (the test extra) is missing."""
    try:
        find_wordnet()
    except FileNotFoundError:
        pytest.skip("Debian's wordnet-base (WordNet 3.0 database) is not installed")
    pytest.importorskip("matplotlib", reason="the PNG needs matplotlib (the test extra)")
