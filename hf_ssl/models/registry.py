"""The registry of model families: `FAMILIES` maps each family's name to the `FamilySpec` its folder declares.

Everything that lists families reads this registry: the Auto registration (`AUTO_CLASSES`,
`register_auto_classes`), the presets, `hf-ssl pretrain` (builders and tokenizers), the model cards'
Hub tasks and templates, the speed benchmark's shapes and the tests' tiny configs;
tests/models/test_registry.py checks every consumer against it. Adding a family = its `models/<name>/`
folder, whose `__init__.py` defines `FAMILY`, plus one line in `_FAMILY_MODULES`. FamilySpec itself
lives in `spec.py`: the family packages import it, and this module imports them.
"""

from __future__ import annotations

import os
from importlib import import_module
from pathlib import Path
from typing import Any

from transformers import AutoConfig, AutoTokenizer, PreTrainedConfig, PreTrainedModel

from .spec import FamilySpec, PretrainingBuilder, TokenizerTrainer

# In this order the CLI lists the pretrainable families and hf_ssl registers the Auto classes.
_FAMILY_MODULES: tuple[str, ...] = (
    "bert",
    "roberta",
    "albert",
    "electra",
    "gpt",
    "bart",
    "mass",
    "t5",
    "prefix_lm",
    "elmo",
    "taglm",
    "cbow",
)


def _load(module_name: str) -> FamilySpec:
    package = f"{__package__}.{module_name}"
    spec = import_module(package).FAMILY
    if not isinstance(spec, FamilySpec) or spec.name != module_name:
        raise TypeError(f"{package}.FAMILY must be a FamilySpec named {module_name!r}, got {spec!r}")
    if spec.transformers_converter is not None:
        import_module(f"{package}.{spec.transformers_converter}")  # registers the weight maps
    return spec


FAMILIES: dict[str, FamilySpec] = {name: _load(name) for name in _FAMILY_MODULES}

# (config, {Auto class: model class}) for every architecture, as the families declare them.
AUTO_CLASSES: dict[type[PreTrainedConfig], dict[Any, type[PreTrainedModel]]] = {
    spec.config_class: dict(spec.heads) for spec in FAMILIES.values()
}


def register_auto_classes() -> None:
    """Register every family's config and heads with transformers' Auto classes (idempotent).

    Every other Auto model class gets a refusal for the family's config. hf_ssl's config classes
    share their names with transformers' (`T5Config`), and transformers' Auto lookup falls back on the
    class name: without the refusal, `AutoModelForQuestionAnswering.from_pretrained(<hf_ssl T5>)`
    would build transformers' T5ForQuestionAnswering with every weight newly initialised.
    """
    from transformers.models.auto import modeling_auto

    every_auto_class = [
        value
        for name, value in vars(modeling_auto).items()
        if name.startswith("AutoModel") and hasattr(value, "_model_mapping")
    ]
    for spec in FAMILIES.values():
        if spec.tokenizer_class is not None:
            AutoConfig.register(spec.config_class.model_type, spec.config_class, exist_ok=True)
            AutoTokenizer.register(
                spec.config_class, slow_tokenizer_class=spec.tokenizer_class, exist_ok=True
            )
    for config_class, heads in AUTO_CLASSES.items():
        AutoConfig.register(config_class.model_type, config_class, exist_ok=True)
        for auto_class in every_auto_class:
            if auto_class not in heads:
                auto_class.register(config_class, _refusal(config_class, auto_class, heads), exist_ok=True)
        for auto_class, model_class in heads.items():
            auto_class.register(config_class, model_class, exist_ok=True)
            _name_in_task_table(auto_class, config_class.model_type, model_class)


def _name_in_task_table(auto_class: Any, model_type: str, model_class: type) -> None:
    """Write the head's class name into the task table behind `auto_class` (MODEL_FOR_CAUSAL_LM_MAPPING_NAMES
    and its kind), where transformers looks a class's task up by name: Trainer's label smoother
    shifts the labels of a causal LM listed there, and transformers' common model tests pick each
    head's labels from these tables. hf_ssl's model types are in no config table, so the Auto classes'
    lazy mappings, which walk the config table, never try to import them from transformers."""
    names = auto_class._model_mapping._model_mapping  # {model_type: class name}
    names.setdefault(model_type, model_class.__name__)


def _refusal(config_class: type[PreTrainedConfig], auto_class: type, heads: dict[Any, type]) -> type:
    """A stand-in model class whose constructors raise transformers' "Unrecognized configuration
    class" error, naming the Auto classes the family does offer."""
    offered = ", ".join(sorted(auto.__name__ for auto in heads))
    message = (
        f"Unrecognized configuration class {config_class} for this kind of AutoModel: "
        f"{auto_class.__name__}. hf_ssl's {config_class.model_type} offers: {offered}."
    )

    def refuse(cls: type, *args: Any, **kwargs: Any) -> Any:
        raise ValueError(message)

    return type(
        f"{config_class.__name__}Without{auto_class.__name__}",
        (),
        {
            "__doc__": message,
            "config_class": config_class,
            "from_pretrained": classmethod(refuse),
            "from_config": classmethod(refuse),
            "_from_config": classmethod(refuse),
        },
    )


def check_known_family(directory: str | os.PathLike[str]) -> None:
    """Refuse a checkpoint directory whose config.json names an hf_ssl model_type this installation
    does not have (a newer release's family): transformers would fall back on the repository's
    remote code and stop at its interactive "run custom code?" prompt."""
    from ..io import read_config_json

    config_file = Path(directory) / "config.json"
    if not config_file.is_file():
        return
    model_type = str(read_config_json(config_file).get("model_type", ""))
    known = sorted(spec.config_class.model_type for spec in FAMILIES.values())
    if model_type.startswith("hf_ssl_") and model_type not in known:
        raise ValueError(
            f"{config_file} holds model_type {model_type!r}, which this hf_ssl does not have (it has "
            f"{known}); upgrade hf_ssl, or load with trust_remote_code=True to run the repository's code"
        )


__all__ = [
    "AUTO_CLASSES",
    "FAMILIES",
    "FamilySpec",
    "PretrainingBuilder",
    "TokenizerTrainer",
    "check_known_family",
    "register_auto_classes",
]
