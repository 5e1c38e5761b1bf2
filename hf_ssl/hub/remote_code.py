"""A full `auto_map` and the family's modeling code, written with every saved checkpoint.

transformers' `register_for_auto_class` writes only the saved class into `auto_map`, so a repository
loads through remote code for that class alone. hf_ssl writes the map for the config and every Auto
head its family supports, pointing at `hf_ssl_remote.py`, and writes beside it the code those classes
run, so `AutoModel*.from_pretrained(path, trust_remote_code=True)` works on a machine that has only
transformers and torch. Where hf_ssl is imported, its registered classes are used and the files are
never run.

How the code is carried (transformers `dynamic_module_utils`): the loader copies the entry module and
every sibling file it imports relatively (`from .x import y`, found by a regex, recursively) into its
module cache, and `check_imports` refuses any absolute import of a package that is not installed,
inside functions too. So each hf_ssl module the family's classes need (the transitive closure of
their hf_ssl imports) is written as one flat file named after its dotted path
(`hf_ssl.layers.attention` -> `hf_ssl_layers_attention.py`) with its hf_ssl imports rewritten, from
the syntax tree, to flat relative imports:

- a name imported from a package `__init__` is imported from the submodule that defines it;
- a module imported as a name (`from ..bert import modeling_bert as bert`) is bound to the flat
  module object (`from .x import __name__` is what the loader's regex sees, `sys.modules` gives it);
- `hf_ssl.io` and `hf_ssl.conversion` are left out: their `AtomicSaveMixin` (hf_ssl's journaled save)
  and `LoadsTransformersCheckpoints` (file checks, transformers-checkpoint conversion) are dropped
  from the class bases, so a model loaded from the files saves and loads as transformers' own
  `PreTrainedModel` does. Any other use of a left-out name fails the save, not the user's load.

The entry module names itself as the home of the classes it exposes: transformers' `save_pretrained`
of a model loaded through remote code copies the file named by the class's `__module__` with its
relative imports, so a re-saved checkpoint carries the entry module and every file again.
"""

from __future__ import annotations

import ast
import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REMOTE_MODULE = "hf_ssl_remote"
TOKENIZER_CONFIG = "tokenizer_config.json"
_PACKAGE = "hf_ssl"
_PACKAGE_DIR = Path(__file__).resolve().parents[1]
# Modules the model classes inherit hf_ssl-only behaviour from (journaled saves, checked and converting
# loads); without hf_ssl the classes keep transformers' own, so their names are dropped from class bases.
_LEFT_OUT = frozenset({"hf_ssl.io", "hf_ssl.conversion"})


def auto_map_for(config_class: type) -> dict[str, Any]:
    """{"AutoConfig": ..., "AutoModel": ..., ...} for a family, every head hf_ssl registers for it,
    and "AutoTokenizer": [its tokenizer, None] for a family that reads text its own way (ELMo)."""
    from ..models.registry import AUTO_CLASSES

    if config_class not in AUTO_CLASSES:
        raise ValueError(
            f"{config_class.__name__} is not an hf_ssl config; expected one of "
            f"{sorted(c.__name__ for c in AUTO_CLASSES)}"
        )
    auto_map: dict[str, Any] = {"AutoConfig": f"{REMOTE_MODULE}.{config_class.__name__}"}
    for auto_class, model_class in AUTO_CLASSES[config_class].items():
        auto_map[auto_class.__name__] = f"{REMOTE_MODULE}.{model_class.__name__}"
    for tokenizer_class in _tokenizer_classes(config_class):  # [slow, fast], as transformers writes it
        auto_map["AutoTokenizer"] = [f"{REMOTE_MODULE}.{tokenizer_class.__name__}", None]
    return auto_map


def _tokenizer_classes(config_class: type) -> list[type]:
    """The tokenizer a family ships (FamilySpec.tokenizer_class), if any."""
    from ..models.registry import FAMILIES

    return [
        spec.tokenizer_class
        for spec in FAMILIES.values()
        if spec.config_class is config_class and spec.tokenizer_class is not None
    ]


def write_remote_code(model: Any, directory: Path) -> None:
    """Save hook: set the config's full auto_map and write the remote-code files beside the weights."""
    model.config.auto_map = auto_map_for(type(model.config))
    for name, text in remote_code_files(type(model.config)).items():
        (Path(directory) / name).write_text(text, encoding="utf-8")


def write_family_tokenizer(model: Any, directory: Path) -> None:
    """Save hook: a family that reads text its own way (ELMo's characters) gets its tokenizer beside
    the weights. A tokenizer_config.json already in the checkpoint directory is the user's and is
    kept (`saving.KEPT_IF_PRESENT`). Ours names the carried class in `auto_map` (transformers reads a
    tokenizer's auto_map there only), so `AutoTokenizer` loads it with `trust_remote_code=True` where
    hf_ssl is not installed."""
    config = getattr(model, "config", None)
    classes = _tokenizer_classes(type(config))
    if not classes:
        return
    target = Path(directory) / TOKENIZER_CONFIG
    tokenizer_class: Any = classes[0]
    tokenizer_class.for_model_config(config).save_pretrained(directory)
    settings = json.loads(target.read_text(encoding="utf-8"))
    settings["auto_map"] = {"AutoTokenizer": [f"{REMOTE_MODULE}.{tokenizer_class.__name__}", None]}
    target.write_text(json.dumps(settings, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def remote_code_files(config_class: type) -> dict[str, str]:
    """{file name: source} of the self-contained remote code for `config_class`'s family: the entry
    module `hf_ssl_remote.py` and one flat file per hf_ssl module its classes need."""
    from ..models.registry import AUTO_CLASSES

    auto_map_for(config_class)  # refuses a config that is not hf_ssl's
    classes = [
        config_class,
        *dict.fromkeys(AUTO_CLASSES[config_class].values()),
        *_tokenizer_classes(config_class),
    ]
    return dict(_files_for(tuple(classes)))


@functools.cache
def _files_for(classes: tuple[type, ...]) -> tuple[tuple[str, str], ...]:
    files: dict[str, str] = {}
    pending = sorted({cls.__module__ for cls in classes})
    done: set[str] = set()
    while pending:
        module = pending.pop()
        if module in done:
            continue
        done.add(module)
        flat = _flatten(module)
        files[f"{_flat_name(module)}.py"] = flat.source
        pending.extend(sorted(flat.needs - done))
    files[f"{REMOTE_MODULE}.py"] = _entry_module(classes)
    ordered = {name: files[name] for name in sorted(files)}
    _check_loadable(ordered)
    return tuple(ordered.items())


def _entry_module(classes: tuple[type, ...]) -> str:
    by_module: dict[str, list[str]] = {}
    for cls in classes:
        by_module.setdefault(cls.__module__, []).append(cls.__name__)
    imports = "\n".join(
        f"from .{_flat_name(module)} import {', '.join(sorted(names))}"
        for module, names in sorted(by_module.items())
    )
    names = ", ".join(cls.__name__ for cls in classes)
    return f'''"""Remote-code entry point of an hf_ssl checkpoint: {classes[0].__name__} and its heads.

Written by hf_ssl's save hook (hf_ssl/hub/remote_code.py) with the hf_ssl_*.py files beside it, copies of
hf_ssl's modules with flat relative imports: `AutoModel*.from_pretrained(..., trust_remote_code=True)`
needs only transformers and torch. Where hf_ssl is imported, its registered classes are used instead.
"""

{imports}

# transformers' save_pretrained copies the file of a class's __module__ (and its relative imports):
# this file, so a model loaded from here saves back with every file.
for _class in ({names},):
    _class.__module__ = __name__
'''


@dataclass
class _Flat:
    source: str
    needs: set[str] = field(default_factory=set)


def _flat_name(module: str) -> str:
    return module.replace(".", "_")


def _source_path(module: str) -> Path | None:
    parts = module.split(".")[1:]
    as_file = _PACKAGE_DIR.joinpath(*parts).with_suffix(".py") if parts else None
    if as_file is not None and as_file.is_file():
        return as_file
    as_package = _PACKAGE_DIR.joinpath(*parts, "__init__.py")
    return as_package if as_package.is_file() else None


def _is_package(module: str) -> bool:
    path = _source_path(module)
    return path is not None and path.name == "__init__.py"


def _target(module: str, node: ast.ImportFrom) -> str | None:
    """The absolute hf_ssl module an `from ... import` statement in `module` reads, or None."""
    if node.level == 0:
        name = node.module or ""
        return name if name == _PACKAGE or name.startswith(f"{_PACKAGE}.") else None
    package = module if _is_package(module) else module.rpartition(".")[0]
    base = package.split(".")[: len(package.split(".")) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


@functools.cache
def _resolve(module: str, name: str) -> tuple[str, str | None]:
    """(module that defines `name`, attribute) for `from module import name`; attribute None when the
    name is a submodule. Names a package `__init__` re-exports are followed to their source."""
    if not _is_package(module):
        return module, name
    path = _source_path(module)
    assert path is not None
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ImportFrom) and (target := _target(module, node)):
            for alias in node.names:
                if (alias.asname or alias.name) == name:
                    return _resolve(target, alias.name)
    if _source_path(f"{module}.{name}") is not None:
        return f"{module}.{name}", None
    return module, name  # defined in the package's __init__, which then becomes a flat module


def _flatten(module: str) -> _Flat:
    """`module`'s source with every hf_ssl import rewritten to flat relative imports."""
    path = _source_path(module)
    if path is None:
        raise ValueError(f"{module} has no source file under {_PACKAGE_DIR}")
    text = path.read_text(encoding="utf-8")
    data = text.encode("utf-8")  # ast column offsets count UTF-8 bytes
    line_starts = [0]
    for line in data.splitlines(keepends=True):
        line_starts.append(line_starts[-1] + len(line))

    def offset(line: int, col: int) -> int:
        return line_starts[line - 1] + col

    tree = ast.parse(text)
    edits: list[tuple[int, int, str]] = []
    flat = _Flat(source="")
    dropped: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(
            a.name == _PACKAGE or a.name.startswith(f"{_PACKAGE}.") for a in node.names
        ):
            raise ValueError(f"{module} line {node.lineno}: `import hf_ssl...` cannot be made relative")
        if not isinstance(node, ast.ImportFrom) or (target := _target(module, node)) is None:
            continue
        indent = data[line_starts[node.lineno - 1] : offset(node.lineno, node.col_offset)].decode()
        if target in _LEFT_OUT:
            dropped.update(alias.asname or alias.name for alias in node.names)
            lines = ["pass"] if indent else []
        else:
            lines = _relative_imports(target, node.names, flat.needs)
        replacement = f"\n{indent}".join(lines)
        assert node.end_lineno is not None and node.end_col_offset is not None
        start, end = offset(node.lineno, node.col_offset), offset(node.end_lineno, node.end_col_offset)
        if not lines:  # the whole line goes, with its newline
            start, end = line_starts[node.lineno - 1], line_starts[node.end_lineno]
        edits.append((start, end, replacement))
    if dropped:
        edits.extend(_drop_bases(module, tree, dropped, offset))
    for start, end, replacement in sorted(edits, reverse=True):
        data = data[:start] + replacement.encode("utf-8") + data[end:]
    relative = path.relative_to(_PACKAGE_DIR.parent).as_posix()
    header = f"# Copied by hf_ssl's save hook from {relative}, with flat relative imports, for remote code.\n"
    flat.source = header + data.decode("utf-8")
    return flat


def _relative_imports(target: str, aliases: list[ast.alias], needs: set[str]) -> list[str]:
    """Flat relative import lines binding the names `from target import <aliases>` binds."""
    names: dict[str, list[str]] = {}
    lines: list[str] = []
    for alias in aliases:
        if alias.name == "*":
            raise ValueError(f"`from {target} import *` cannot be made flat")
        source, attribute = _resolve(target, alias.name)
        needs.add(source)
        bound = alias.asname or alias.name
        if attribute is None:
            # The loader's regex sees `from .x import`, not `from . import x`: import the module's name
            # from it (loading it), then take the module object itself.
            private = f"_{_flat_name(source)}"
            lines += [
                "import sys",
                f"from .{_flat_name(source)} import __name__ as {private}",
                f"{bound} = sys.modules[{private}]",
            ]
        else:
            names.setdefault(source, []).append(
                attribute if bound == attribute else f"{attribute} as {bound}"
            )
    for source, imported in names.items():
        lines.insert(0, f"from .{_flat_name(source)} import {', '.join(imported)}")
    return lines


def _drop_bases(module: str, tree: ast.Module, dropped: set[str], offset: Any) -> list[tuple[int, int, str]]:
    """Edits removing the left-out names from class bases; any other use of them is an error."""
    edits = []
    as_bases: set[int] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.ClassDef):
            continue
        items: list[ast.expr | ast.keyword] = [*node.bases, *node.keywords]
        for i, base in enumerate(node.bases):
            if not (isinstance(base, ast.Name) and base.id in dropped):
                continue
            as_bases.add(id(base))
            assert base.end_lineno is not None and base.end_col_offset is not None
            if i + 1 < len(items):  # up to the next base, comma and space included
                after = items[i + 1]
                edits.append(
                    (offset(base.lineno, base.col_offset), offset(after.lineno, after.col_offset), "")
                )
            elif i > 0:  # the last base: from the end of the one before it
                before = node.bases[i - 1]
                assert before.end_lineno is not None and before.end_col_offset is not None
                edits.append(
                    (
                        offset(before.end_lineno, before.end_col_offset),
                        offset(base.end_lineno, base.end_col_offset),
                        "",
                    )
                )
            else:
                edits.append(
                    (offset(base.lineno, base.col_offset), offset(base.end_lineno, base.end_col_offset), "")
                )
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in dropped and id(node) not in as_bases:
            raise ValueError(
                f"{module} line {node.lineno} uses {node.id}, which remote code leaves out "
                f"(from {sorted(_LEFT_OUT)}); only class bases can be dropped"
            )
    return edits


def _check_loadable(files: dict[str, str]) -> None:
    """Each file passes transformers' own parsers: no absolute hf_ssl import (`check_imports`), and
    every relative import (`get_relative_imports`, recursively) is one of the files."""
    import tempfile

    from transformers.dynamic_module_utils import get_imports, get_relative_import_files

    with tempfile.TemporaryDirectory() as folder:
        for name, text in files.items():
            (Path(folder) / name).write_text(text, encoding="utf-8")
        for name in files:
            if _PACKAGE in get_imports(Path(folder) / name):
                raise AssertionError(f"remote-code file {name} still imports {_PACKAGE}")
        reached = {Path(p).name for p in get_relative_import_files(Path(folder) / f"{REMOTE_MODULE}.py")}
    if not reached <= set(files):
        raise AssertionError(f"remote code imports files it does not carry: {sorted(reached - set(files))}")
    if unused := set(files) - reached - {f"{REMOTE_MODULE}.py"}:
        raise AssertionError(f"remote-code files the entry module never reaches: {sorted(unused)}")
