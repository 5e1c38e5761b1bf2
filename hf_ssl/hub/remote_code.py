"""A full `auto_map` and a one-line remote-code module, written with every saved checkpoint.

transformers' `register_for_auto_class` writes only the saved class into `auto_map`, so a repository
loads through remote code for that class alone. hf_ssl writes the map for
the config and every Auto head its family supports, pointing at `hf_ssl_remote.py`, a file that only
imports the installed package. `AutoModel*.from_pretrained(path, trust_remote_code=True)` then works
where hf_ssl is installed but not imported; where it is imported, its registered classes are used
and the file is never run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

REMOTE_MODULE = "hf_ssl_remote"
_SOURCE = '''"""Remote-code entry point of an hf_ssl checkpoint: the classes come from the installed hf_ssl package."""

from hf_ssl import *  # noqa: F403  (importing hf_ssl also registers every class with the Auto classes)
'''


def auto_map_for(config_class: type) -> dict[str, str]:
    """{"AutoConfig": ..., "AutoModel": ..., ...} for a family, every head hf_ssl registers for it."""
    from ..models.registry import AUTO_CLASSES

    if config_class not in AUTO_CLASSES:
        raise ValueError(
            f"{config_class.__name__} is not an hf_ssl config; expected one of "
            f"{sorted(c.__name__ for c in AUTO_CLASSES)}"
        )
    auto_map = {"AutoConfig": f"{REMOTE_MODULE}.{config_class.__name__}"}
    for auto_class, model_class in AUTO_CLASSES[config_class].items():
        auto_map[auto_class.__name__] = f"{REMOTE_MODULE}.{model_class.__name__}"
    return auto_map


def write_remote_code(model: Any, directory: Path) -> None:
    """Save hook: set the config's full auto_map and write the remote-code module beside the weights."""
    model.config.auto_map = auto_map_for(type(model.config))
    (Path(directory) / f"{REMOTE_MODULE}.py").write_text(_SOURCE)
