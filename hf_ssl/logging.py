"""hf_ssl's logging, on transformers' conventions (`transformers.logging`).

Every module logs to a child of one library root logger, `hf_ssl`. That logger has its own stderr
handler and does not propagate, so hf_ssl never configures the root logger and never echoes other
libraries' messages. Its level is WARNING unless the environment variable `HF_SSL_VERBOSITY`
(debug, info, warning, error or critical) or `set_verbosity*` says otherwise; the `hf-ssl` command
line sets it to info.

    import hf_ssl
    hf_ssl.logging.set_verbosity_info()
"""

from __future__ import annotations

import logging
import os
import sys
import threading

LIBRARY_ROOT = "hf_ssl"
ENVIRONMENT_VARIABLE = "HF_SSL_VERBOSITY"
LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
    "critical": logging.CRITICAL,
}
DEFAULT_LEVEL = logging.WARNING

_lock = threading.Lock()
_default_handler: logging.Handler | None = None


def _library_root() -> logging.Logger:
    """The `hf_ssl` logger, given its handler and level the first time it is asked for."""
    global _default_handler
    root = logging.getLogger(LIBRARY_ROOT)
    with _lock:
        if _default_handler is None:
            _default_handler = logging.StreamHandler(sys.stderr)
            root.addHandler(_default_handler)
            root.setLevel(_level_from_environment(root))
            root.propagate = False
    return root


def _level_from_environment(root: logging.Logger) -> int:
    value = os.environ.get(ENVIRONMENT_VARIABLE)
    if not value:
        return DEFAULT_LEVEL
    if value.lower() not in LEVELS:
        root.warning(
            "%s=%r is not a level; expected one of %s. Using %s.",
            ENVIRONMENT_VARIABLE,
            value,
            ", ".join(LEVELS),
            logging.getLevelName(DEFAULT_LEVEL).lower(),
        )
        return DEFAULT_LEVEL
    return LEVELS[value.lower()]


def get_logger(name: str | None = None) -> logging.Logger:
    """The logger `name` (a module's `__name__`, under `hf_ssl`), or the library root logger."""
    root = _library_root()
    return root if name is None else logging.getLogger(name)


def get_verbosity() -> int:
    """The library root logger's level (`logging.INFO`, ...)."""
    return _library_root().getEffectiveLevel()


def set_verbosity(level: int | str) -> None:
    """Set every hf_ssl logger's threshold: a `logging` level or one of LEVELS' names."""
    if isinstance(level, str):
        if level.lower() not in LEVELS:
            raise ValueError(f"verbosity {level!r} is not a level; expected one of {', '.join(LEVELS)}")
        level = LEVELS[level.lower()]
    _library_root().setLevel(level)


def set_verbosity_debug() -> None:
    set_verbosity(logging.DEBUG)


def set_verbosity_info() -> None:
    set_verbosity(logging.INFO)


def set_verbosity_warning() -> None:
    set_verbosity(logging.WARNING)


def set_verbosity_error() -> None:
    set_verbosity(logging.ERROR)


def set_format(fmt: str | None) -> None:
    """The default handler's format (`logging.Formatter` syntax); None restores the bare message."""
    _library_root()
    assert _default_handler is not None
    _default_handler.setFormatter(logging.Formatter(fmt) if fmt else None)


def disable_default_handler() -> None:
    """Stop writing hf_ssl's records to stderr (to route them through your own handlers)."""
    root = _library_root()
    assert _default_handler is not None
    root.removeHandler(_default_handler)


def enable_default_handler() -> None:
    root = _library_root()
    assert _default_handler is not None
    if _default_handler not in root.handlers:
        root.addHandler(_default_handler)


def enable_propagation() -> None:
    """Pass hf_ssl's records on to the root logger too (disable the default handler to avoid
    seeing them twice)."""
    _library_root().propagate = True


def disable_propagation() -> None:
    _library_root().propagate = False


_said: set[tuple[str, str]] = set()


def warning_once(logger: logging.Logger, message: str, *args: object) -> None:
    """`logger.warning(message, *args)` the first time this process says it; at DEBUG afterwards
    (transformers' `logger.warning_once`): a demo that loads one checkpoint six times says once what
    each load dropped and initialised."""
    text = message % args if args else message
    with _lock:
        first = (logger.name, text) not in _said
        _said.add((logger.name, text))
    logger.log(logging.WARNING if first else logging.DEBUG, text)
