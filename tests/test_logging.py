"""hf_ssl logs on transformers' conventions, and `import hf_ssl` reaches its subpackages. Each check
runs in a fresh interpreter: this test session has imported and configured everything already."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

import hf_ssl


def _run(code: str, **environment: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != "HF_SSL_VERBOSITY"}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env={**env, **environment},
        check=True,
    )


def test_import_leaves_the_root_logger_alone_and_shows_warnings_but_not_info():
    result = _run(
        """
        import logging
        root = logging.getLogger()
        before = (list(root.handlers), root.level)
        import hf_ssl
        assert (list(root.handlers), root.level) == before
        logging.getLogger("hf_ssl.models").warning("a warning")
        logging.getLogger("hf_ssl.models").info("some progress")
        """
    )
    assert "a warning" in result.stderr and "some progress" not in result.stderr


def test_verbosity_follows_the_environment_and_set_verbosity():
    quiet = _run(
        """
        import logging, hf_ssl
        assert hf_ssl.logging.get_verbosity() == logging.ERROR
        logging.getLogger("hf_ssl.recipes").warning("hidden")
        hf_ssl.logging.set_verbosity_info()
        logging.getLogger("hf_ssl.recipes").info("shown")
        """,
        HF_SSL_VERBOSITY="error",
    )
    assert "hidden" not in quiet.stderr and "shown" in quiet.stderr
    typo = _run("import hf_ssl", HF_SSL_VERBOSITY="loud")
    assert "HF_SSL_VERBOSITY='loud'" in typo.stderr and "debug, info, warning" in typo.stderr


def test_set_verbosity_names_a_bad_level():
    with pytest.raises(ValueError, match=r"'loud'.*debug, info, warning"):
        hf_ssl.logging.set_verbosity("loud")


def test_the_command_line_shows_its_progress_but_no_other_library_info():
    result = _run(
        """
        import logging
        from hf_ssl import cli
        assert cli.run(["evaluate", "--model-dir", "/nonexistent", "--eval-file", "/nonexistent.csv"]) == 2
        logging.getLogger("hf_ssl.recipes").info("hf_ssl progress")
        logging.getLogger("httpx").info("HTTP Request: GET https://example.invalid")
        """
    )
    assert "hf_ssl progress" in result.stderr
    assert "HTTP Request" not in result.stderr


def test_import_hf_ssl_reaches_its_subpackages():
    _run(
        """
        import hf_ssl
        assert callable(hf_ssl.metrics.load) and callable(hf_ssl.analysis.scalar_mix_weights)
        assert hf_ssl.data.load_default_corpus and hf_ssl.recipes.pretrain
        assert {"metrics", "analysis", "logging"} <= set(dir(hf_ssl))
        try:
            hf_ssl.not_a_module
        except AttributeError as error:
            assert "not_a_module" in str(error)
        else:
            raise AssertionError("an unknown attribute must raise AttributeError")
        """
    )
