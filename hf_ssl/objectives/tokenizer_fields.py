"""Collators built from a tokenizer, as transformers' are: ``MaskedLMCollator(tokenizer=tok,
mlm_probability=0.15)`` as ``DataCollatorForLanguageModeling(tokenizer=tok, mlm_probability=0.15)``.

``accepts_tokenizer`` gives a collator dataclass's ``__init__`` a keyword-only ``tokenizer``. The
collator's ``_tokenizer_fields(tokenizer, given)`` classmethod is the one place that says which
fields a tokenizer fills (``len(tokenizer)``, the mask/pad/eos/... ids, ``all_special_ids``);
``from_tokenizer`` goes through it too. ``given`` holds the fields the caller passed, by keyword or
by position: they win, and the tokenizer is not asked for them, so a tokenizer without a mask token
still serves when ``mask_token_id`` is passed. The tokenizer is read once, at construction, and not
kept: the collator stays a plain, picklable dataclass of ids.

Type checkers see only a dataclass's fields in its constructor; typed code that passes
``tokenizer=`` can call ``from_tokenizer`` or ``construct`` instead.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol, TypeVar

__all__ = [
    "accepts_tokenizer",
    "causal_lm_fields",
    "construct",
    "describe_tokenizer",
    "pad_or_eos_id",
    "token_ids",
]

T = TypeVar("T")


class _TokenizerFields(Protocol):
    @classmethod
    def _tokenizer_fields(cls, tokenizer: Any, given: Mapping[str, Any]) -> dict[str, Any]: ...


C = TypeVar("C", bound=_TokenizerFields)


def describe_tokenizer(tokenizer: Any) -> str:
    """``PreTrainedTokenizerFast('bert-base-uncased')``: how errors name a tokenizer."""
    return f"{type(tokenizer).__name__}({getattr(tokenizer, 'name_or_path', '')!r})"


def token_ids(tokenizer: Any, roles: Iterable[str], given: Mapping[str, Any], purpose: str) -> dict[str, int]:
    """``{"<role>_token_id": id}`` for every role not in ``given``; a ValueError names a missing token."""
    fields: dict[str, int] = {}
    for role in roles:
        name = f"{role}_token_id"
        if name in given:
            continue
        value = getattr(tokenizer, name, None)
        if value is None:
            raise ValueError(
                f"tokenizer {describe_tokenizer(tokenizer)} has no {role} token; {purpose} needs one "
                f"(set tokenizer.{role}_token or pass {name})"
            )
        fields[name] = value
    return fields


def pad_or_eos_id(tokenizer: Any) -> int:
    """The pad id, else the eos id (GPT-2 has no pad token; padding is masked out either way)."""
    pad = getattr(tokenizer, "pad_token_id", None)
    if pad is None:
        pad = getattr(tokenizer, "eos_token_id", None)
    if pad is None:
        raise ValueError(
            f"tokenizer {describe_tokenizer(tokenizer)} has neither a pad nor an eos token to pad with "
            "(set tokenizer.pad_token or pass pad_token_id)"
        )
    return pad


def causal_lm_fields(tokenizer: Any, given: Mapping[str, Any]) -> dict[str, Any]:
    """A left-to-right LM collator's fields: the pad id (else eos: GPT-2 has no pad) and the eos id,
    None when there is none."""
    fields = {"eos_token_id": getattr(tokenizer, "eos_token_id", None)}
    if "pad_token_id" not in given:
        fields["pad_token_id"] = pad_or_eos_id(tokenizer)
    return fields


def construct(factory: Callable[..., T], tokenizer: Any, *args: Any, **kwargs: Any) -> T:
    """``factory(*args, tokenizer=tokenizer, **kwargs)``, typed for code that type checkers read."""
    return factory(*args, tokenizer=tokenizer, **kwargs)


def accepts_tokenizer(cls: type[C]) -> type[C]:
    """Class decorator, above ``@dataclass``: ``__init__`` also takes ``tokenizer=`` (keyword only).

    With a tokenizer, every field the caller did not pass is taken from ``cls._tokenizer_fields``;
    a required field that neither supplies raises a TypeError that names it. Without one (or with
    ``tokenizer=None``) the dataclass ``__init__`` runs unchanged.
    """
    init = cls.__init__
    signature = inspect.signature(init)
    assert "tokenizer" not in signature.parameters, f"{cls.__name__} already has a tokenizer parameter"
    fields = list(signature.parameters.values())[1:]  # after self
    positional = [p.name for p in fields if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD]
    required = [p.name for p in fields if p.default is inspect.Parameter.empty]
    names = {p.name for p in fields}

    @functools.wraps(init)
    def __init__(self: Any, *args: Any, tokenizer: Any = None, **kwargs: Any) -> None:
        if tokenizer is not None:
            given = {**dict(zip(positional, args, strict=False)), **kwargs}
            supplied = cls._tokenizer_fields(tokenizer, given)
            assert set(supplied) <= names, (cls.__name__, sorted(supplied))
            kwargs.update({name: value for name, value in supplied.items() if name not in given})
            missing = [name for name in required if name not in given and name not in kwargs]
            if missing:
                raise TypeError(
                    f"{cls.__name__}() missing required argument(s) {', '.join(map(repr, missing))}: "
                    f"tokenizer {describe_tokenizer(tokenizer)} cannot supply them"
                )
        init(self, *args, **kwargs)

    keyword = inspect.Parameter("tokenizer", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=Any)
    __init__.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[*signature.parameters.values(), keyword]
    )
    __init__.__annotations__ = {**init.__annotations__, "tokenizer": Any}
    cls.__init__ = __init__  # type: ignore[method-assign]
    return cls
