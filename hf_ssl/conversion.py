"""Declarative, strict weight maps between transformers checkpoints and hf_ssl models.

A `WeightMap` is a list of `Rule`s: one hf_ssl parameter built from one or more transformers
tensors (several are concatenated along dim 0, e.g. BERT's separate query/key/value into our fused
qkv projection), with an optional custom merge/split for non-trivial folds. `{i}` stands for a layer
index. Conversion is strict in both directions: every source key must be consumed by a rule or match
an explicitly dropped pattern, and every target key must be produced; anything else raises with the
list of offending keys. (Pattern after litgpt's convert_hf_checkpoint weight maps.)

`from_transformers(model)` / `to_transformers(model)` look the model's class up in a registry that
each model package fills (`register_conversion`).
"""

from __future__ import annotations

import logging
import pickle
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from transformers import PreTrainedConfig, PreTrainedModel

from .logging import warning_once

logger = logging.getLogger(__name__)

_LOAD_REPORT_LOGGER = "transformers.modeling_utils"  # where transformers logs its per-key load table


class _DropLoadReport(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "LOAD REPORT" not in record.getMessage()


@contextmanager
def _without_load_report() -> Iterator[None]:
    """Hold back transformers' table of missing and unexpected keys (a line per key) while a checked
    load runs: the checked load reports the same keys itself, once, or raises naming them."""
    report_logger, drop = logging.getLogger(_LOAD_REPORT_LOGGER), _DropLoadReport()
    report_logger.addFilter(drop)
    try:
        yield
    finally:
        report_logger.removeFilter(drop)


Merge = Callable[[list[torch.Tensor]], torch.Tensor]
Split = Callable[[torch.Tensor], list[torch.Tensor]]


def _concat(tensors: list[torch.Tensor]) -> torch.Tensor:
    return tensors[0] if len(tensors) == 1 else torch.cat(tensors, dim=0)


@dataclass(frozen=True)
class Rule:
    """ours <- theirs. Several `theirs` are merged (default: concatenated along dim 0)."""

    ours: str
    theirs: tuple[str, ...]
    merge: Merge | None = None
    split: Split | None = None

    def with_prefixes(self, ours_prefix: str, theirs_prefix: str) -> Rule:
        return Rule(
            ours_prefix + self.ours, tuple(theirs_prefix + t for t in self.theirs), self.merge, self.split
        )


def rule(ours: str, *theirs: str, merge: Merge | None = None, split: Split | None = None) -> Rule:
    return Rule(ours, theirs or (ours,), merge, split)


def _pattern(template: str) -> re.Pattern[str]:
    return re.compile("^" + re.escape(template).replace(r"\{i\}", r"(?P<i>\d+)") + "$")


@dataclass
class WeightMap:
    """Rules plus the source keys each side drops on purpose (regular expressions, full match)."""

    rules: list[Rule]
    dropped_theirs: Sequence[str] = field(default_factory=tuple)
    dropped_ours: Sequence[str] = field(default_factory=tuple)

    def _expand(self, keys: Iterable[str], side: str) -> list[tuple[Rule, str | None]]:
        """Instantiate `{i}` in each rule for every layer index present in `keys` (on `side`)."""
        keys = list(keys)
        expanded: list[tuple[Rule, str | None]] = []
        for r in self.rules:
            template = r.ours if side == "ours" else r.theirs[0]
            if "{i}" not in template:
                expanded.append((r, None))
                continue
            indices = sorted({m.group("i") for k in keys if (m := _pattern(template).match(k))}, key=int)
            expanded.extend((r, i) for i in indices)
        return expanded

    @staticmethod
    def _fill(template: str, index: str | None) -> str:
        return template if index is None else template.replace("{i}", index)

    def _check_leftovers(
        self, source: dict[str, Any], used: set[str], dropped: Sequence[str], what: str
    ) -> None:
        unmapped = [k for k in source if k not in used and not any(re.fullmatch(p, k) for p in dropped)]
        if unmapped:
            raise ValueError(f"{len(unmapped)} {what} key(s) have no rule in the weight map: {unmapped[:10]}")

    def to_ours(self, theirs: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """transformers state dict -> hf_ssl state dict (strict)."""
        ours: dict[str, torch.Tensor] = {}
        used: set[str] = set()
        for r, index in self._expand(theirs, "theirs"):
            names = [self._fill(t, index) for t in r.theirs]
            present = [n for n in names if n in theirs]
            if not present:
                continue
            if len(present) != len(names):
                raise ValueError(f"checkpoint has {present} but not all of {names}")
            tensors = [theirs[n] for n in names]
            ours[self._fill(r.ours, index)] = (r.merge or _concat)(tensors)
            used.update(names)
        self._check_leftovers(theirs, used, self.dropped_theirs, "transformers")
        return ours

    def to_theirs(self, ours: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """hf_ssl state dict -> transformers state dict (strict)."""
        theirs: dict[str, torch.Tensor] = {}
        used: set[str] = set()
        for r, index in self._expand(ours, "ours"):
            name = self._fill(r.ours, index)
            if name not in ours:
                continue
            names = [self._fill(t, index) for t in r.theirs]
            parts = r.split(ours[name]) if r.split else list(ours[name].chunk(len(names), dim=0))
            theirs.update(zip(names, parts, strict=True))
            used.add(name)
        self._check_leftovers(ours, used, self.dropped_ours, "hf_ssl")
        return theirs


@dataclass(frozen=True)
class Conversion:
    """How one hf_ssl class and one transformers class correspond."""

    ours: type[PreTrainedModel]
    theirs: type[PreTrainedModel]
    weight_map: Callable[[PreTrainedConfig], WeightMap]
    config_to_ours: Callable[[PreTrainedConfig], PreTrainedConfig]
    config_to_theirs: Callable[[PreTrainedConfig], PreTrainedConfig]


def config_free(build: Callable[..., WeightMap], *args: Any) -> Callable[[PreTrainedConfig], WeightMap]:
    """A ``Conversion.weight_map`` that ignores the config: ``build(*args)`` for every config."""
    return lambda config: build(*args)


_BY_THEIRS: dict[str, Conversion] = {}
# One hf_ssl class can have several transformers twins (GPT: GPT-2 and OpenAI GPT); the first whose
# config fits the model is used.
_BY_OURS: dict[type, list[Conversion]] = {}


def register_conversion(conversion: Conversion) -> None:
    _BY_THEIRS[conversion.theirs.__name__] = conversion
    _BY_OURS.setdefault(conversion.ours, []).append(conversion)


def conversion_for_theirs(theirs: type | str) -> Conversion:
    name = theirs if isinstance(theirs, str) else theirs.__name__
    if name not in _BY_THEIRS:
        raise ValueError(f"no hf_ssl twin for transformers class {name}; supported: {sorted(_BY_THEIRS)}")
    return _BY_THEIRS[name]


def _load_strict(model: PreTrainedModel, state: dict[str, torch.Tensor]) -> None:
    missing, unexpected = model.load_state_dict(state, strict=False)
    tied = set(getattr(model, "_tied_weights_keys", None) or {})
    missing = [k for k in missing if k not in tied]
    if missing or unexpected:
        raise ValueError(
            f"converted weights do not fit {type(model).__name__}: missing {missing}, unexpected {unexpected}"
        )


def from_transformers(model: PreTrainedModel) -> PreTrainedModel:
    """The hf_ssl twin of a transformers model, with identical weights (in eval mode if the source is)."""
    conversion = conversion_for_theirs(type(model))
    config = conversion.config_to_ours(model.config)
    config._attn_implementation = model.config._attn_implementation
    twin = conversion.ours(config)
    state = conversion.weight_map(config).to_ours(model.state_dict())
    _load_strict(twin, state)
    _cast_like(twin, model)
    return twin.train(model.training)


def _cast_like(twin: torch.nn.Module, model: torch.nn.Module) -> None:
    """Give ``twin`` the dtype of ``model``'s parameters (typed as nn.Module: PreTrainedModel.to is a
    functools wrapper that type checkers cannot bind; the call still dispatches to it)."""
    twin.to(next(model.parameters()).dtype)


def _twin_attention(theirs: type, implementation: str | None) -> str | None:
    """The attention implementation the twin class can run: ours, or eager where the twin has no
    sdpa path (transformers' OpenAI GPT and SwitchTransformers); the same function either way."""
    if implementation == "sdpa" and not getattr(theirs, "_supports_sdpa", False):
        return "eager"
    return implementation


def to_transformers(model: PreTrainedModel) -> PreTrainedModel:
    """The transformers twin of an hf_ssl model, with identical weights."""
    if type(model) not in _BY_OURS:
        raise ValueError(
            f"no transformers twin for {type(model).__name__}; supported: {sorted(c.__name__ for c in _BY_OURS)}"
        )
    errors = []
    for conversion in _BY_OURS[type(model)]:
        try:
            config = conversion.config_to_theirs(model.config)
            break
        except ValueError as error:
            errors.append(f"{conversion.theirs.__name__}: {error}")
    else:
        raise ValueError(f"no transformers twin fits this {type(model).__name__}: {'; '.join(errors)}")
    config._attn_implementation = _twin_attention(conversion.theirs, model.config._attn_implementation)
    twin = conversion.theirs(config)
    state = conversion.weight_map(model.config).to_theirs(model.state_dict())
    _load_strict(twin, state)
    _cast_like(twin, model)
    return twin.train(model.training)


def copy_config_fields(
    source: PreTrainedConfig, target_class: type[PreTrainedConfig], **overrides: Any
) -> Any:
    """Build `target_class` from the fields of `source` that it declares (plus the label maps)."""
    fields = set(target_class.__dataclass_fields__)
    values = {k: v for k, v in source.to_dict().items() if k in fields and not k.startswith("_")}
    for name in ("id2label", "label2id", "problem_type"):
        if getattr(source, name, None) is not None:
            values[name] = getattr(source, name)
    values.pop("model_type", None)
    values.pop("architectures", None)
    values.update(overrides)
    return target_class(**values)


class LoadsTransformersCheckpoints:
    """Mixin for hf_ssl models: `from_pretrained` on a transformers checkpoint converts it on the fly,
    and a local checkpoint's safetensors files are checked first (hf_ssl.io.CheckpointError names a
    truncated, corrupted or missing file instead of a raw SafetensorError); for a Hub id, the cached
    download is checked the same way when loading fails. `weights_only=False` is refused.

    A directory whose config.json names a transformers `model_type` (e.g. "bert") is loaded with the
    transformers twin class and converted through the strict weight map, so
    `hf_ssl.BertForMaskedLM.from_pretrained(path_to_transformers_bert)` just works.
    """

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path: Any, *args: Any, **kwargs: Any) -> Any:
        """As PreTrainedModel.from_pretrained, but weights that do not fit raise a CheckpointError
        naming the keys, where transformers only reports them and re-initialises the missing ones.

        `strict=None` (default): the core network (the family's bare model: embeddings, layers) must
        load exactly; the head may change, the one legitimate mismatch (a pretraining checkpoint
        loaded for classification), and one log line says what was dropped and initialised.
        `strict=True`: every key must fit. `strict=False`, or `output_loading_info=True` without
        `strict`: transformers' behaviour, the caller reads the report.
        """
        strict = kwargs.pop("strict", None)
        wants_info = bool(kwargs.pop("output_loading_info", False))
        if strict is False or (wants_info and strict is None):
            # A caller who asks for the loading report reads it: transformers' behaviour, report returned.
            return cls._from_pretrained_checked(
                pretrained_model_name_or_path, *args, output_loading_info=wants_info, **kwargs
            )
        # ignore_mismatched_sizes=True: the caller accepts re-initialised mismatched weights, which
        # transformers' load report lists with both shapes; the rest of the check stands.
        accepts_mismatches = bool(kwargs.get("ignore_mismatched_sizes"))
        # Otherwise this method says what did not fit, in one line or an error.
        with nullcontext() if accepts_mismatches else _without_load_report():
            model, info = cls._from_pretrained_checked(
                pretrained_model_name_or_path, *args, output_loading_info=True, **kwargs
            )
        # Mismatched keys come as (key, shape in the checkpoint, shape in the model).
        kinds = ("missing_keys", "unexpected_keys") + (() if accepts_mismatches else ("mismatched_keys",))
        problems = {
            k: sorted(key if isinstance(key, str) else key[0] for key in info[k])
            for k in kinds
            if info.get(k)
        }
        if problems:
            from .io import CheckpointError

            core = problems if strict else _core_problems(model, problems)
            if core:
                details = "; ".join(f"{k.replace('_', ' ')}: {v[:10]}" for k, v in core.items())
                raise CheckpointError(
                    f"{pretrained_model_name_or_path} does not fit {cls.__name__} ({details}); "
                    "pass strict=False to load it anyway"
                )
            warning_once(
                logger,
                "%s: head swap into %s: dropped %s; initialised %s",
                pretrained_model_name_or_path,
                cls.__name__,
                problems.get("unexpected_keys", []),
                problems.get("missing_keys", []) + problems.get("mismatched_keys", []),
            )
        return (model, info) if wants_info else model

    @classmethod
    def _from_pretrained_checked(cls, pretrained_model_name_or_path: Any, *args: Any, **kwargs: Any) -> Any:
        from .saving import reading

        directory = Path(str(pretrained_model_name_or_path))
        if not directory.is_dir():
            if directory.is_symlink():  # not a Hub repository id either: the link leads nowhere
                from .io import CheckpointError

                raise CheckpointError(
                    f"{directory} is a symbolic link that leads nowhere (a loop or a missing target)"
                )
            return cls._load_checked(pretrained_model_name_or_path, *args, **kwargs)
        with reading(directory):  # one checkpoint version, even while another process saves
            return cls._load_checked(pretrained_model_name_or_path, *args, **kwargs)

    @classmethod
    def _load_checked(cls, pretrained_model_name_or_path: Any, *args: Any, **kwargs: Any) -> Any:

        from .io import check_checkpoint_files, read_config_json

        if kwargs.get("weights_only") is False:
            # With weights_only=False and no dtype in config.json, transformers unpickles a .bin file
            # just to sniff its dtype: loading an untrusted repository would run its code.
            raise ValueError(
                "weights_only=False is refused: hf_ssl never unpickles checkpoint files with arbitrary "
                "code; use safetensors or a .bin loadable with weights_only=True"
            )
        if Path(str(pretrained_model_name_or_path)).is_dir():
            check_checkpoint_files(pretrained_model_name_or_path, needs_config="config" not in kwargs)
        config_file = Path(str(pretrained_model_name_or_path)) / "config.json"
        expected = getattr(getattr(cls, "config_class", None), "model_type", "")
        if config_file.is_file() and "config" not in kwargs:
            found = read_config_json(config_file).get("model_type", "")
            if found.startswith("hf_ssl_") and expected and found != expected:
                raise ValueError(
                    f"{config_file} holds a {found!r} checkpoint; {cls.__name__} loads {expected!r} ones "
                    "(AutoModel* picks the right class)"
                )
        if config_file.is_file() and cls in _BY_OURS:
            model_type = read_config_json(config_file).get("model_type", "")
            twins = [
                c.theirs
                for c in _BY_OURS[cls]
                if getattr(c.theirs.config_class, "model_type", None) == model_type
            ]
            if model_type and not model_type.startswith("hf_ssl_"):
                if not twins:
                    raise ValueError(
                        f"{config_file} holds a {model_type!r} checkpoint; {cls.__name__} converts from "
                        f"{sorted(c.theirs.__name__ for c in _BY_OURS[cls])}"
                    )
                loaded: Any = twins[0].from_pretrained(pretrained_model_name_or_path, *args, **kwargs)
                if kwargs.get("output_loading_info"):  # (model, their loading report)
                    return from_transformers(loaded[0]), loaded[1]
                return from_transformers(loaded)
        with _naming_damaged_files(pretrained_model_name_or_path, kwargs):
            return super().from_pretrained(pretrained_model_name_or_path, *args, **kwargs)  # type: ignore[misc]


# Parts of a bare model that a pretraining checkpoint may lack and a task head brings: BERT's
# pooler (an MLM checkpoint has none) and ELMo's task scalar mixes.
_TASK_PARTS = frozenset({"pooler", "scalar_mixes"})


def _core_problems(model: Any, problems: dict[str, list[str]]) -> dict[str, list[str]]:
    """The keys among `problems` that belong to the family's core network (its bare model's
    submodules, pooler and scalar mixes aside), by loading-report kind."""
    from transformers import AutoModel

    try:
        with torch.device("meta"):
            bare = AutoModel.from_config(model.config)
    except ValueError:  # a family without a bare model (TagLM): every key is its own
        return problems
    core_modules = {name for name, _ in bare.named_children()} - _TASK_PARTS
    # Weights of a core part the loaded class lacks are dropped on purpose: the decoder of a full
    # T5 checkpoint loaded into T5EncoderModel.
    present = {name for name, _ in model.named_children()} | {
        name for name, _ in model.base_model.named_children()
    }
    prefix = f"{model.base_model_prefix}."
    core: dict[str, list[str]] = {}
    for kind, keys in problems.items():
        wanted = core_modules if kind != "unexpected_keys" else core_modules & present
        hits = [k for k in keys if k.removeprefix(prefix).split(".")[0] in wanted]
        if hits:
            core[kind] = hits
    return core


@contextmanager
def _naming_damaged_files(name_or_path: Any, kwargs: dict[str, Any]) -> Iterator[None]:
    """Turn the raw errors of a damaged checkpoint into CheckpointErrors that name the file.

    Local directories were checked before loading; for a Hub id the cached download is checked only
    once loading has failed, so a healthy load pays nothing.
    """
    from safetensors import SafetensorError

    from .io import CheckpointError, downloaded_checkpoint_error, interrupted_download_error

    local = Path(str(name_or_path)).is_dir()
    try:
        yield
    except pickle.UnpicklingError as error:
        raise CheckpointError(
            f"the pickled pytorch_model.bin of {name_or_path} holds more than tensors and was refused "
            "by weights_only=True; convert trusted weights to safetensors"
        ) from error
    except SafetensorError as error:
        if local:
            raise
        raise downloaded_checkpoint_error(
            str(name_or_path),
            error,
            revision=kwargs.get("revision"),
            cache_dir=kwargs.get("cache_dir"),
            subfolder=str(kwargs.get("subfolder") or ""),
        ) from error
    except OSError as error:
        named = None
        if not local and not isinstance(error, CheckpointError):
            named = interrupted_download_error(str(name_or_path), error)
        if named is None:
            raise
        raise named from error


def convert_directory(
    source: str, output: str, *, to: str = "hf_ssl", overwrite: bool = False
) -> dict[str, Any]:
    """Convert a saved checkpoint directory between transformers and hf_ssl (`hf-ssl convert`).

    `to="hf_ssl"` reads a transformers checkpoint (its config's `architectures[0]`, e.g.
    "BertForMaskedLM") and writes the hf_ssl twin; `to="transformers"` goes the other way. The
    tokenizer, if the directory holds one, is copied along. The output is written atomically.
    """
    import contextlib
    import importlib
    from pathlib import Path

    import transformers

    from .io import atomic_directory, check_output_directory, read_config_json

    if to not in ("hf_ssl", "transformers"):
        raise ValueError(f"to={to!r}; expected 'hf_ssl' or 'transformers'")
    check_output_directory(output, overwrite=overwrite)
    config_file = Path(source) / "config.json"
    if not config_file.is_file():
        raise FileNotFoundError(
            f"{config_file} does not exist: {source!r} is not a saved checkpoint directory"
        )
    config = read_config_json(config_file)
    architectures = config.get("architectures") or []
    if not architectures:
        raise ValueError(f"{config_file} names no architecture; save the model with save_pretrained first")
    architecture = architectures[0]
    hf_ssl_module = importlib.import_module(__package__ or "hf_ssl")
    if to == "hf_ssl":
        theirs_class = getattr(transformers, architecture, None)
        if theirs_class is None or architecture not in _BY_THEIRS:
            raise ValueError(
                f"{config_file} holds a {architecture!r}; hf_ssl converts from {sorted(_BY_THEIRS)}"
            )
        converted = from_transformers(theirs_class.from_pretrained(source))
    else:
        ours_class = getattr(hf_ssl_module, architecture, None)
        if ours_class is None or ours_class not in _BY_OURS:
            raise ValueError(
                f"{config_file} holds a {architecture!r}; hf_ssl converts to transformers from "
                f"{sorted(c.__name__ for c in _BY_OURS)}"
            )
        converted = to_transformers(ours_class.from_pretrained(source))
    tokenizer = None
    with contextlib.suppress(OSError, ValueError, TypeError):  # a weights-only directory has none
        tokenizer = transformers.AutoTokenizer.from_pretrained(source)
    with atomic_directory(output, overwrite=overwrite) as staging:
        converted.save_pretrained(staging)
        if tokenizer is not None:
            tokenizer.save_pretrained(staging)
    return {
        "source": source,
        "from": architecture,
        "output": output,
        "to": type(converted).__name__,
        "tokenizer": tokenizer is not None,
        "parameters": converted.num_parameters(),
    }
