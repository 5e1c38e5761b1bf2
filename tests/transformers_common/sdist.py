"""transformers' own common model tests, fetched at test time from its source distribution.

The wheel of transformers ships no tests; the source distribution of the installed version ships
`tests/test_modeling_common.py` (`ModelTesterMixin`) and `tests/test_configuration_common.py`
(`ConfigTester`), but not three modules they import: the generation and export mixins and the
shared config keyword arguments. `common_tests()` downloads the source distribution once per
version into a cache, extracts the two files into an importable package, and fills those three
imports with stand-ins written here:

- `GenerationTesterMixin` and `ExportTesterMixin` are empty. hf_ssl's own generation tests
  (tests/models/test_generation.py: greedy, sampling and beam search, cached against uncached and
  token for token against each transformers twin) and export tests (tests/models/test_export.py:
  torch.export, the dynamo ONNX exporter with onnxruntime, compile) stand where they would run.
- `config_common_kwargs` holds values of the base config fields that differ from their defaults.

When the source distribution cannot be fetched (no registry, no pip), the tests skip and say so.
"""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import warnings
from pathlib import Path
from types import ModuleType

import pytest
import transformers

PACKAGE = "transformers_common_tests"
EXTRACTED = ("test_modeling_common.py", "test_configuration_common.py")

_STAND_INS = {
    "generation/test_utils.py": '''"""Stand-in: hf_ssl tests generation in tests/models/test_generation.py."""


class GenerationTesterMixin:
    pass
''',
    "exporters/test_export.py": '''"""Stand-in: hf_ssl tests export in tests/models/test_export.py."""


class ExportTesterMixin:
    pass
''',
    "utils/test_configuration_utils.py": '''"""Stand-in: base config fields set to values other than their defaults."""

config_common_kwargs = {
    "return_dict": False,
    "output_hidden_states": True,
    "output_attentions": True,
    "dtype": "float16",
    "chunk_size_feed_forward": 5,
    "architectures": ["BertModel"],
    "finetuning_task": "translation",
    "id2label": {0: "label"},
    "label2id": {"label": "0"},
    "problem_type": "regression",
}
''',
}


def cache_root() -> Path:
    return Path(os.environ.get("HF_SSL_TEST_CACHE", Path.home() / ".cache" / "hf_ssl"))


def _fetch(version: str, target: Path) -> None:
    """Download transformers==version's source distribution and build the package at `target`."""
    with tempfile.TemporaryDirectory() as scratch:
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:"]
        command += ["--dest", scratch, f"transformers=={version}"]
        done = subprocess.run(command, capture_output=True, text=True, timeout=600)
        archives = list(Path(scratch).glob("transformers-*.tar.gz"))
        if done.returncode != 0 or not archives:
            raise OSError(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "no archive")
        staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=".staging-"))
        try:
            _build_package(archives[0], staging / PACKAGE)
            os.replace(staging, target)  # whole or absent: an interrupted fetch never half-fills it
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)
            if not target.exists():  # else another process fetched it first
                raise


def _build_package(archive_path: Path, package: Path) -> None:
    """The two test modules of the archive, and the stand-ins for what they import, as a package."""
    package.mkdir()
    with tarfile.open(archive_path) as archive:
        for member in archive.getmembers():
            parts = Path(member.name).parts
            if len(parts) == 3 and parts[1] == "tests" and parts[2] in EXTRACTED:
                source = archive.extractfile(member)
                assert source is not None
                (package / parts[2]).write_bytes(source.read())
    missing = [name for name in EXTRACTED if not (package / name).exists()]
    if missing:
        raise OSError(f"the source distribution has no tests/{missing[0]}")
    for folder in ("", "generation", "exporters", "utils"):
        (package / folder / "__init__.py").parent.mkdir(exist_ok=True)
        (package / folder / "__init__.py").touch()
    for relative, text in _STAND_INS.items():
        (package / relative).write_text(text)


def common_tests() -> tuple[ModuleType, ModuleType]:
    """(test_modeling_common, test_configuration_common) of the installed transformers, or skip."""
    try:
        import parameterized  # noqa: F401  (test_modeling_common's own dependency)
    except ImportError:
        pytest.skip("transformers' common tests need the 'parameterized' package", allow_module_level=True)
    version = transformers.__version__
    target = cache_root() / f"transformers-tests-{version}"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            _fetch(version, target)
        except (OSError, subprocess.SubprocessError) as error:
            pytest.skip(
                f"transformers {version}'s source distribution could not be fetched: {error}",
                allow_module_level=True,
            )
    if str(target) not in sys.path:
        sys.path.insert(0, str(target))
    with (
        warnings.catch_warnings()
    ):  # its marks (flash_attn_test, ...) are registered in transformers' own conftest
        warnings.simplefilter("ignore", pytest.PytestUnknownMarkWarning)
        modeling = importlib.import_module(f"{PACKAGE}.test_modeling_common")
        configuration = importlib.import_module(f"{PACKAGE}.test_configuration_common")
    return modeling, configuration
