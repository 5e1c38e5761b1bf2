"""PEFT out of the box: `LoraConfig(task_type=...)` without `target_modules` works on hf_ssl models.

PEFT picks a model's default LoRA targets from its `model_type` in
`peft.utils.constants.TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING`, which knows only
transformers' model types. `import hf_ssl` adds every family's `FamilySpec.lora_targets` to it: at
once when PEFT is already imported, else the moment PEFT is (a post-import hook, so `import hf_ssl`
does not pay for importing PEFT).

The defaults are the attention input projections. Self-attention projects queries, keys and values
with one fused linear (`qkv_proj`), as GPT-2's `c_attn` is, and PEFT adapts it as one matrix of
rank r covering all three. To adapt other modules, name them: `LoraConfig(target_modules=["qkv_proj",
"o_proj", "up_proj", "down_proj"])`; to adapt queries and values alone, split the fused projection
first (`hf_ssl.layers.split_qkv_projections`) and name `["q_proj", "v_proj"]`.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

from .models.registry import FAMILIES

PEFT_CONSTANTS = "peft.utils.constants"
MAPPING = "TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING"


def lora_targets() -> dict[str, list[str]]:
    """{model_type: default LoRA target module names} for every family that has some."""
    return {
        spec.config_class.model_type: list(spec.lora_targets)
        for spec in FAMILIES.values()
        if spec.lora_targets
    }


def register_lora_targets(constants: ModuleType) -> None:
    """Add hf_ssl's defaults to PEFT's mapping (a target list someone set already is kept)."""
    mapping = getattr(constants, MAPPING)
    for model_type, targets in lora_targets().items():
        mapping.setdefault(model_type, targets)


class _AfterImport(importlib.abc.MetaPathFinder):
    """Run `callback(module)` once `name` has been imported (executed), then step aside."""

    def __init__(self, name: str, callback: Callable[[ModuleType], None]) -> None:
        self.name, self.callback = name, callback

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != self.name:
            return None
        sys.meta_path.remove(self)
        for finder in sys.meta_path:
            spec = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None:
                break
        else:
            return None
        loader: Any = spec.loader
        execute = loader.exec_module

        def exec_module(module: ModuleType) -> None:
            execute(module)
            self.callback(module)

        loader.exec_module = exec_module
        return spec


def install() -> None:
    """Register now if PEFT is imported, else when it is (idempotent)."""
    if PEFT_CONSTANTS in sys.modules:
        register_lora_targets(sys.modules[PEFT_CONSTANTS])
    elif not any(isinstance(finder, _AfterImport) for finder in sys.meta_path):
        sys.meta_path.insert(0, _AfterImport(PEFT_CONSTANTS, register_lora_targets))
