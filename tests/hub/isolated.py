"""Run Python in a subprocess that cannot import hf_ssl: a machine with only transformers and torch.

hf_ssl is installed in the test environment as an editable package: a `sys.meta_path` finder that the
venv's `.pth` file installs at start-up, plus the checkout itself on `sys.path` when Python runs from
it. Uninstalling is not an option while other runs share the venv, so the subprocess removes hf_ssl
itself, before anything else runs:

- a finder placed first on `sys.meta_path` raises `ModuleNotFoundError("No module named 'hf_ssl'")`
  for `hf_ssl` and every `hf_ssl.*`, whichever finder would have found it (editable finder, a
  path entry, a zip); transformers' `check_imports` sees exactly what it sees when the package is
  absent;
- every `sys.path` entry that holds an `hf_ssl` directory is dropped, the working directory is a
  temporary one, and PYTHONPATH is unset.

`test_the_isolated_interpreter_cannot_import_hf_ssl` shows the blocker is what does the work.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BLOCKER = '''
import importlib.abc
import os
import sys


class _NoHfSsl(importlib.abc.MetaPathFinder):
    """Answers every import of hf_ssl as a missing package does."""

    def find_spec(self, name, path=None, target=None):
        if name == "hf_ssl" or name.startswith("hf_ssl."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, _NoHfSsl())
sys.path[:] = [p for p in sys.path if not os.path.isdir(os.path.join(p or os.getcwd(), "hf_ssl"))]
assert "hf_ssl" not in sys.modules
'''


def run_python(
    script: str,
    workdir: Path,
    *,
    block_hf_ssl: bool = True,
    env: dict[str, str] | None = None,
    args: tuple[str, ...] = (),
) -> subprocess.CompletedProcess[str]:
    """Run `script` in a fresh interpreter from `workdir`, with hf_ssl blocked unless told otherwise,
    offline unless an `env` is given.

    The dynamic-module cache (HF_MODULES_CACHE) is private to `workdir`, so code from an earlier run
    is never reused.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    program = workdir / "program.py"
    program.write_text((BLOCKER if block_hf_ssl else "") + script)
    environment = {k: v for k, v in (env or os.environ).items() if k != "PYTHONPATH"}
    if env is None:  # local checkpoints only; a test that talks to a Hub server passes its env
        environment["HF_HUB_OFFLINE"] = "1"
    environment["HF_MODULES_CACHE"] = str(workdir / "modules")
    return subprocess.run(
        [sys.executable, str(program), *args],
        capture_output=True,
        text=True,
        env=environment,
        cwd=workdir,
        timeout=600,
    )
