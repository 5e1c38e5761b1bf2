"""The declared dependency bounds are the ones CI tests, and CI runs the README's test command."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
LOWEST = ROOT / ".ci" / "lowest.txt"


def _lower_bounds() -> dict[str, str]:
    """{normalised name: lower bound} for every dependency pyproject.toml bounds from below."""
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    bounds = {}
    for requirement in dependencies:
        match = re.match(r"([A-Za-z0-9_.-]+)\s*>=\s*([^,;\s]+)", requirement)
        if match:
            bounds[match.group(1).lower().replace("_", "-")] = match.group(2)
    return bounds


def _pins() -> dict[str, str]:
    pins = {}
    for line in LOWEST.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            pins[name.lower().replace("_", "-")] = version
    return pins


def _release(version: str) -> Version:
    return Version(version)  # 2.13 == 2.13.0


@pytest.mark.parametrize(
    "package", ["torch", "transformers", "huggingface-hub", "datasets", "tokenizers", "accelerate"]
)
def test_the_lowest_versions_leg_installs_each_declared_lower_bound(package):
    bounds, pins = _lower_bounds(), _pins()
    assert package in bounds, f"pyproject.toml gives {package} no lower bound"
    assert package in pins, f".ci/lowest.txt does not pin {package}"
    assert _release(pins[package]) == _release(bounds[package]), (package, pins[package], bounds[package])


def test_every_pin_of_the_lowest_versions_leg_is_a_declared_lower_bound():
    bounds = _lower_bounds()
    for package, version in _pins().items():
        assert package in bounds, f".ci/lowest.txt pins {package}, which pyproject.toml does not bound"
        assert _release(version) == _release(bounds[package]), (package, version, bounds[package])


def test_ci_runs_the_readme_test_command_verbatim():
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"^(python3 -m venv [^\n]*pytest[^\n]*)$", readme, flags=re.MULTILINE)
    assert len(commands) == 1, commands
    assert commands[0] in (ROOT / ".ci" / "run").read_text()


def test_the_wheel_ships_the_type_marker_the_corpora_and_the_card_templates(tmp_path):
    import importlib.util
    import shutil
    import subprocess
    import sys
    import zipfile

    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "hf_ssl", source / "hf_ssl", ignore=shutil.ignore_patterns("__pycache__"))
    # Build with the environment's setuptools when it has one (offline); else pip fetches it.
    isolation = [] if importlib.util.find_spec("setuptools") is None else ["--no-build-isolation"]
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            *isolation,
            "-w",
            str(tmp_path),
            str(source),
        ],
        check=True,
    )
    (wheel,) = tmp_path.glob("hf_ssl-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "hf_ssl/py.typed" in names
    for packaged in ("hf_ssl/data/corpora", "hf_ssl/model_cards"):
        expected = {
            p.relative_to(ROOT).as_posix()
            for p in (ROOT / packaged).iterdir()
            if p.is_file() and p.suffix != ".py"
        }
        expected -= {name for name in expected if "__pycache__" in name}
        assert expected and expected <= names, sorted(expected - names)
