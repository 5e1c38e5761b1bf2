"""What moves between the transformers releases hf_ssl supports, kept in one place.

hf_ssl is written against transformers' public API; where an internal name changed between the
releases `pyproject.toml` allows, the difference lives here, one shim a change, each saying which
releases and what changed. Each shim detects the feature, not the version number, so a release
that back-ports a change needs no edit. Nothing else in the package checks versions.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from transformers.cache_utils import Cache
from transformers.masking_utils import create_causal_mask
from transformers.modeling_outputs import CausalLMOutputWithPast

F = TypeVar("F", bound=Callable[..., Any])

# -- The KV cache's name -----------------------------------------------------------------------------
# transformers 5.0-5.23 hand the KV cache to `forward` as `past_key_values=` and read it back from
# `output.past_key_values`. From 5.24, `generate` passes `cache=`, model outputs declare a `cache`
# field (the old name survives as a deprecated alias), and `create_causal_mask` takes `cache=`.
# hf_ssl's modules keep the name `past_key_values` inside and accept both names at every model's
# forward, so a cached step never runs without its cache, whichever release drives `generate`.
CACHE_KWARG = "cache" if "cache" in CausalLMOutputWithPast.__dataclass_fields__ else "past_key_values"
"""The name this transformers release uses for the KV cache in `generate` and model outputs."""
CACHE_NAMES = ("past_key_values", "cache")
"""Both names, for lists of output keys that Trainer and accelerate skip."""

_MASK_CACHE_KWARG = (
    "cache" if "cache" in inspect.signature(create_causal_mask).parameters else "past_key_values"
)


def accepts_cache(forward: F) -> F:
    """Let a `forward(..., past_key_values=...)` also take the cache as `cache=` (transformers >= 5.24).

    Giving both names at once is an error rather than a silent choice of one of them.
    """

    @functools.wraps(forward)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if "cache" in kwargs:
            cache = kwargs.pop("cache")
            if cache is not None and kwargs.get("past_key_values") is not None:
                raise ValueError("give the KV cache once, as cache= or as past_key_values=, not both")
            if cache is not None:
                kwargs["past_key_values"] = cache
        return forward(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def output_cache(output: Any) -> Cache | None:
    """The KV cache a model output carries, under this release's name for it."""
    return output.get(CACHE_KWARG) if hasattr(output, "get") else getattr(output, CACHE_KWARG, None)


def cache_field(cache: Cache | None) -> dict[str, Any]:
    """The keyword that puts `cache` into a transformers model output on this release."""
    return {CACHE_KWARG: cache}


def create_causal_mask_with_cache(past_key_values: Cache | None, **kwargs: Any) -> Any:
    """`transformers.masking_utils.create_causal_mask`, given the cache under this release's name."""
    return create_causal_mask(**kwargs, **{_MASK_CACHE_KWARG: past_key_values})


__all__ = [
    "CACHE_KWARG",
    "CACHE_NAMES",
    "accepts_cache",
    "cache_field",
    "create_causal_mask_with_cache",
    "output_cache",
]
